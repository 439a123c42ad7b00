"""Bind mounts of the Docker socket -> the user's podman socket (host side only)."""

from __future__ import annotations

import re

from rootless.migrate.edits import byte_offset
from rootless.migrate.model import DOCS, Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command, Word

from ._util import RUN_CREATE, engine_action
from .sudo_docker import root_reasons

SOCK = re.compile(r"(?<![\w/.-])(?:/var)?/run/docker\.sock(?=$|[:,\"'}])")
PODMAN_SOCK = "${XDG_RUNTIME_DIR}/podman/podman.sock"
FIX = "systemctl --user enable --now podman.socket (on SELinux hosts also --security-opt label=disable)"


def quote_context(text: str, index: int) -> str:
    """The quote in force at ``text[index]`` ("", "'" or '"')."""
    q = ""
    i = 0
    while i < index:
        c = text[i]
        if q == "" and c == "\\":
            i += 2
            continue
        if q == '"' and c == "\\":
            i += 2
            continue
        if c in ("'", '"') and q in ("", c):
            q = "" if q == c else c
        i += 1
    return q


ROOTFUL_SOCK = "/run/podman/podman.sock"


def socket_edit(word: Word, start: int = 0, *, rootful: bool = False) -> Edit | None:
    """Edit replacing the docker socket path in ``word.text[start:]`` (the host side)."""
    m = SOCK.search(word.text, start)
    if m is None:
        return None
    q = quote_context(word.text, m.start())
    if rootful:
        new = ROOTFUL_SOCK
    else:
        new = PODMAN_SOCK if q != "'" else "'\"${XDG_RUNTIME_DIR}\"'/podman/podman.sock"
    return Edit(byte_offset(word, m.start()), byte_offset(word, m.end()), new)


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    for o in cmd.invocation.opts("--volume", "--mount"):
        if o.value_word is None:
            continue
        text = o.value_word.text[o.value_offset :]
        if o.name == "--volume":
            # host side only: the part before the first ':' that is not inside ${...}
            m = SOCK.search(text)
            if m is None or ":" in re.sub(r"\$\{[^}]*\}", "", text[: m.start()]).replace('"', ""):
                continue
        else:
            m = re.search(r"(?:^|,)(?:source|src)=", text.strip("\"'"))
            if m is None or SOCK.search(text) is None:
                continue
            sm = SOCK.search(text)
            assert sm is not None
            if not re.search(
                r"(?:source|src)=$", text[: sm.start()].replace('"', "").replace("'", "")
            ):
                continue
        # sudo that stays (the command needs root) means rootful podman and its socket
        rootful = cmd.sudo is not None and bool(root_reasons(cmd))
        edit = socket_edit(o.value_word, o.value_offset, rootful=rootful)
        if edit is None:
            continue
        yield RULE.change(
            [edit],
            edit.start,
            "the Docker socket does not exist: "
            + ("rootful podman's socket" if rootful else "the user's podman socket")
            + " speaks the same API",
            severity=Severity.REVIEW,
            fix="sudo systemctl enable --now podman.socket" if rootful else FIX,
        )


RULE = Rule(
    id="docker-socket",
    summary="-v /var/run/docker.sock:... -> the user's podman socket",
    example="-v /var/run/docker.sock:/var/run/docker.sock  ->  -v ${XDG_RUNTIME_DIR}/podman/podman.sock:/var/run/docker.sock",
    severity=Severity.REVIEW,
    link=f"{DOCS}/podman-system-service.1.html",
    on_command=check,
    actions=RUN_CREATE,
)
