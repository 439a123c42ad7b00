"""`--link` does not exist in podman: use a network."""

from __future__ import annotations

from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import RUN_CREATE, engine_action


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    for o in cmd.invocation.opts("--link"):
        target = (o.value or "NAME").split(":")
        alias = f" --network-alias {target[1]}" if len(target) > 1 else ""
        yield RULE.note(
            o.start,
            "podman has no --link: put both containers on one network; they then reach each "
            "other by name",
            fix=(
                f"podman network create appnet; start {target[0]} with --network appnet{alias}; "
                f"replace `{o.words[0].text}{' ' + o.words[1].text if len(o.words) > 1 else ''}` "
                "with --network appnet (or run both in a pod)"
            ),
        )


RULE = Rule(
    id="link-flag",
    summary="--link is not supported: warn and show the network replacement",
    example="docker run --link db app  ->  (warning) podman network create appnet; --network appnet",
    severity=Severity.WARNING,
    link=f"{DOCS}/podman-network-create.1.html",
    on_command=check,
    actions=RUN_CREATE,
)
