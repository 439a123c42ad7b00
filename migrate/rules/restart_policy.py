"""`--restart` needs something to restart containers at boot: there is no daemon."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import PODMAN_RUN, RUN_CREATE, engine_action


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    for o in cmd.invocation.opts("--restart"):
        if (o.value or "").startswith("no"):
            continue
        yield RULE.note(
            o.start,
            f"--restart {o.value or ''} restarts a crashed container, but nothing starts it "
            "after a reboot without a daemon",
            fix=(
                "systemctl --user enable podman-restart.service && loginctl enable-linger "
                '"$USER" (or run it as a Quadlet .container unit)'
            ),
        )


RULE = Rule(
    id="restart-policy",
    summary="--restart needs podman-restart.service + linger (or Quadlet) to survive reboots",
    example="docker run --restart always nginx  ->  (warning) systemctl --user enable podman-restart.service",
    severity=Severity.WARNING,
    link=f"{PODMAN_RUN}#restart-policy",
    on_command=check,
    actions=RUN_CREATE,
)
