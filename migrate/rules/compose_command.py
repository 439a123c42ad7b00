"""`docker-compose` -> `podman compose` (or `podman-compose`, configurable)."""

from __future__ import annotations

from rootless.migrate.edits import replace
from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

WORDS = frozenset({"docker-compose", "/usr/bin/docker-compose", "/usr/local/bin/docker-compose"})


def check(cmd: Command, ctx: RuleContext) -> Result:
    w = cmd.name
    if cmd.node_type != "command" or w is None or w.value not in WORDS or w.quoted:
        return
    target = ctx.settings.compose_target
    yield RULE.change(
        [replace(w, target)],
        w.start,
        f"`docker-compose` becomes `{target}`; files named docker-compose.yml are still found",
        fix=(
            "`podman compose` needs a compose provider installed (docker-compose or podman-compose)"
            if target == "podman compose"
            else None
        ),
    )


RULE = Rule(
    id="compose-command",
    summary="docker-compose -> podman compose (--compose-target podman-compose)",
    example="docker-compose -f docker-compose.yml up -d  ->  podman compose -f docker-compose.yml up -d",
    severity=Severity.FIX,
    link=f"{DOCS}/podman-compose.1.html",
    on_command=check,
    scope="any",
    programs=WORDS,
    renames_engine=True,
)
