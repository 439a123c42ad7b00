"""buildx sub-commands other than build have no podman equivalent."""

from __future__ import annotations

from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import engine_call

SUPPORTED = frozenset({"buildx build", "buildx version", "buildx inspect", "buildx prune"})


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_call(cmd):
        return
    inv = cmd.invocation
    if inv.noun != "buildx" or inv.action in SUPPORTED or not inv.subcommand:
        return
    sub = inv.action.split(" ", 1)[1] if inv.action and " " in inv.action else ""
    yield RULE.note(
        inv.subcommand[0].start,
        f"`buildx {sub}` does not exist in podman (no builder instances; bake and imagetools "
        "are BuildKit features)",
        fix=(
            "delete builder setup (create/use/rm); multi-arch: podman build --platform "
            "linux/amd64,linux/arm64 --manifest NAME; inspect remote images: skopeo inspect"
        ),
    )


RULE = Rule(
    id="buildx-unsupported",
    summary="buildx create/use/bake/imagetools/...: no equivalent, warn",
    example="docker buildx create --use  ->  (warning) not needed with podman build",
    severity=Severity.WARNING,
    link=f"{DOCS}/podman-build.1.html",
    on_command=check,
    nouns=frozenset({"buildx"}),
)
