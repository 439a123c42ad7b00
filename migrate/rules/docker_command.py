"""`docker` (or /usr/bin/docker) as a command word -> `podman`."""

from __future__ import annotations

from rootless.migrate.edits import replace
from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

TARGETS = {
    "docker": "podman",
    "/usr/bin/docker": "/usr/bin/podman",
    "/usr/local/bin/docker": "/usr/bin/podman",
    "/bin/docker": "/usr/bin/podman",
}


def check(cmd: Command, ctx: RuleContext) -> Result:
    w = cmd.name
    if cmd.node_type != "command" or w is None or w.value not in TARGETS or w.quoted:
        return
    yield RULE.change(
        [replace(w, TARGETS[w.value])],
        w.start,
        f"`{w.value}` runs podman instead (same command line interface, no daemon)",
    )


RULE = Rule(
    id="docker-command",
    summary="run podman where the script runs docker",
    example="docker run --rm alpine true  ->  podman run --rm alpine true",
    severity=Severity.FIX,
    link=f"{DOCS}/podman.1.html",
    on_command=check,
    renames_engine=True,
)
