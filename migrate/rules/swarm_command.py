"""Swarm-mode commands have no podman equivalent."""

from __future__ import annotations

from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import engine_call

NOUNS = frozenset({"swarm", "stack", "service", "node", "plugin", "config"})


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_call(cmd):
        return
    inv = cmd.invocation
    noun = inv.noun
    if noun not in NOUNS or not inv.subcommand:
        return
    yield RULE.note(
        inv.subcommand[0].start,
        f"`docker {noun}` (swarm mode) has no podman equivalent and never will",
        fix=(
            "on one host: a compose file with `podman compose`, Quadlet units, or "
            "`podman kube play`; across hosts: Kubernetes"
        ),
    )


RULE = Rule(
    id="swarm-command",
    summary="swarm/stack/service/node/plugin/config: no equivalent, warn",
    example="docker stack deploy -c stack.yml app  ->  (warning) podman kube play / Quadlet",
    severity=Severity.WARNING,
    link=f"{DOCS}/podman-kube-play.1.html",
    on_command=check,
    nouns=NOUNS,
)
