"""`--restart` needs something to restart containers at boot: there is no daemon."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command
from rootless.migrate.structure import Structure

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


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import services  # noqa: PLC0415

    for svc in services(s):
        r = svc.node.get("restart")
        if r is not None and r.is_scalar and r.value not in ("no", "", "false"):
            yield RULE.note(
                r.start,
                f"service {svc.name}: restart: {r.value} restarts a crashed container, but "
                "nothing starts the stack after a reboot without a daemon",
                fix=(
                    "systemctl --user enable podman-restart.service && loginctl enable-linger "
                    '"$USER" (or run the services as Quadlet units: podlet compose)'
                ),
            )
        deploy = svc.node.get("deploy")
        policy = deploy.get("restart_policy") if deploy is not None else None
        if policy is not None:
            yield RULE.note(
                policy.start,
                f"service {svc.name}: deploy.restart_policy is a swarm setting; podman-compose "
                "ignores it",
                fix="use restart: on-failure (plus podman-restart.service and linger)",
            )


RULE = Rule(
    id="restart-policy",
    summary="--restart needs podman-restart.service + linger (or Quadlet) to survive reboots",
    example="docker run --restart always nginx  ->  (warning) systemctl --user enable podman-restart.service",
    severity=Severity.WARNING,
    link=f"{PODMAN_RUN}#restart-policy",
    on_command=check,
    options=frozenset({"--restart"}),
    actions=RUN_CREATE,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
