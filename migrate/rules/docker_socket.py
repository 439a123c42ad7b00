"""Bind mounts of the Docker socket -> the user's podman socket (host side only)."""

from __future__ import annotations

import re

from rootless.migrate.edits import byte_offset
from rootless.migrate.model import DOCS, Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command, Word
from rootless.migrate.structure import Structure

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


COMPOSE_WHY = (
    "the Docker socket does not exist: the user's podman socket speaks the same API; "
    "security_opt label=disable lets the container use it on SELinux hosts"
)


def _socket_in(s: Structure, node: object) -> tuple[int, int] | None:
    """File span of the docker socket path among the literal parts of a host-side value."""
    from rootless.migrate.compose import literal_spans  # noqa: PLC0415

    for a, _b, text in literal_spans(s, node):  # type: ignore[arg-type]
        m = SOCK.search(text)
        if m is not None:
            pre = text[: m.start()]
            if ":" in pre:
                return None
            off = a + len(pre.encode())
            return off, off + (m.end() - m.start())
    return None


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import add_list_item, owner, seq_items, services  # noqa: PLC0415

    for svc in services(s):
        vols = svc.node.get("volumes")
        for item in seq_items(vols):
            span = None
            if item.is_scalar:
                span = _socket_in(s, item)
            elif item.is_map:
                src = item.get("source") or item.get("src")
                if src is not None and src.is_scalar:
                    span = _socket_in(s, src)
            if span is None:
                continue
            edits = [Edit(span[0], span[1], PODMAN_SOCK)]
            holder_node = item if item.is_scalar else (item.get("source") or item.get("src"))
            if holder_node is not None and _plain_in_flow(s, holder_node):
                # `{` and `}` end a plain scalar inside [ ] or { }: quote the whole value
                if '"' in s.text(holder_node.start, holder_node.end):
                    continue
                edits += [
                    Edit.insert(holder_node.start, '"'),
                    Edit.insert(holder_node.end, '"'),
                ]
            opts = svc.node.get("security_opt")
            has = any(
                o.is_scalar and o.value.replace(":", "=") == "label=disable"
                for o in seq_items(opts)
            )
            message = COMPOSE_WHY
            if not has:
                holder = owner(svc.node, "volumes") or svc.node
                vols_node = holder.get("volumes")
                assert vols_node is not None
                add = add_list_item(s, holder, "security_opt", "label=disable", vols_node)
                if add is None:
                    message += " (add `security_opt: [label=disable]` by hand: flow style)"
                else:
                    edits.append(add)
            yield RULE.change(edits, span[0], message, severity=Severity.REVIEW, fix=FIX_COMPOSE)


FIX_COMPOSE = "systemctl --user enable --now podman.socket"


def _plain_in_flow(s: Structure, node: object) -> bool:
    from rootless.migrate.yamlspan import YNode  # noqa: PLC0415

    assert isinstance(node, YNode)
    if node.style is not None:
        return False
    before = s.data[: node.start].rstrip(b" \t\r\n")
    return before.endswith((b"[", b",", b"{")) or (
        before.endswith(b":")
        and s.data.rfind(b"{", 0, node.start) > s.data.rfind(b"\n", 0, node.start)
    )


RULE = Rule(
    id="docker-socket",
    summary="-v /var/run/docker.sock:... -> the user's podman socket",
    example="-v /var/run/docker.sock:/var/run/docker.sock  ->  -v ${XDG_RUNTIME_DIR}/podman/podman.sock:/var/run/docker.sock",
    severity=Severity.REVIEW,
    link=f"{DOCS}/podman-system-service.1.html",
    on_command=check,
    options=frozenset({"--volume", "--mount"}),
    actions=RUN_CREATE,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
