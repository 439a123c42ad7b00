"""Engine variables: `DOCKER=docker`, `CONTAINER_ENGINE=${CONTAINER_ENGINE:-docker}`, make `DOCKER ?= docker`."""

from __future__ import annotations

import re

from rootless.migrate.edits import byte_offset
from rootless.migrate.model import Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import ENGINE_VAR_RE, Assignment, Command, Word

VALUE = re.compile(r"^(?P<q>[\"']?)(?P<v>docker|/usr/bin/docker|/usr/local/bin/docker)(?P=q)$")
DEFAULT = re.compile(
    r"^\"?\$\{[A-Za-z_][A-Za-z0-9_]*:?[-=](?P<v>docker|/usr/bin/docker|/usr/local/bin/docker)\}\"?$"
)
ASSIGN_DEFAULT = re.compile(r"^\"?\$\{([A-Za-z_][A-Za-z0-9_]*):?=")
TARGET = {
    "docker": "podman",
    "/usr/bin/docker": "/usr/bin/podman",
    "/usr/local/bin/docker": "/usr/bin/podman",
}


def _edit(word: Word) -> Edit | None:
    for rx in (VALUE, DEFAULT):
        m = rx.match(word.text)
        if m:
            s, e = m.span("v")
            return Edit(byte_offset(word, s), byte_offset(word, e), TARGET[m.group("v")])
    return None


def check_assignment(a: Assignment, ctx: RuleContext) -> Result:
    if a.value is None or not ENGINE_VAR_RE.match(a.name):
        return
    edit = _edit(a.value)
    if edit is not None:
        yield RULE.change(
            [edit],
            a.value.start,
            f"{a.name} names the container engine: podman now",
            severity=Severity.REVIEW,
        )


def check_command(cmd: Command, ctx: RuleContext) -> Result:
    if cmd.node_type != "command":
        return
    if cmd.program == ":":
        # `: ${DOCKER_BINARY=docker}`: the default-setting idiom
        for arg in cmd.args:
            m = ASSIGN_DEFAULT.match(arg.text)
            if m and ENGINE_VAR_RE.match(m.group(1)):
                edit = _edit(arg)
                if edit is not None:
                    yield RULE.change(
                        [edit],
                        arg.start,
                        f"{m.group(1)} names the container engine: podman now",
                        severity=Severity.REVIEW,
                    )
        return
    # `${DOCKER:-docker} run ...`: the default inside the command word
    w = cmd.name
    if w is None or w.value is not None:
        return
    m = DEFAULT.match(w.text)
    if m:
        edit = _edit(w)
        if edit is not None:
            yield RULE.change(
                [edit], w.start, "the engine's default is podman now", severity=Severity.REVIEW
            )


RULE = Rule(
    id="engine-variable",
    summary="variables that name the engine default to podman",
    example="DOCKER ?= docker  ->  DOCKER ?= podman",
    severity=Severity.REVIEW,
    link="https://github.com/containers/podman/issues/18248",
    on_assignment=check_assignment,
    on_command=check_command,
    renames_engine=True,
    scope="any",
    # `: ${DOCKER=docker}` or a command word that is not fixed text (`${DOCKER:-docker}`)
    programs=frozenset({":", None}),
)
