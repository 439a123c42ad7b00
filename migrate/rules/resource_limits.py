"""Resource limits need cgroup v2 with delegated controllers when rootless."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command
from rootless.migrate.structure import Structure

from ._util import RUN_CREATE, TROUBLESHOOTING, engine_action

LIMITS = (
    "--memory", "--memory-swap", "--memory-reservation", "--cpus", "--cpu-shares",
    "--cpu-quota", "--cpu-period", "--cpuset-cpus", "--cpuset-mems", "--pids-limit",
    "--blkio-weight", "--device-read-bps", "--device-write-bps", "--device-read-iops",
    "--device-write-iops", "--kernel-memory",
)  # fmt: skip


def check(cmd: Command, ctx: RuleContext) -> Result:
    if ctx.settings.cgroup_v2 is True or not engine_action(cmd, "run", "create"):
        return
    found = cmd.invocation.opts(*LIMITS)
    if not found:
        return
    names = ", ".join(dict.fromkeys(o.name for o in found))
    where = (
        "this host uses cgroup v1"
        if ctx.settings.cgroup_v2 is False
        else "they only work with cgroup v2"
    )
    yield RULE.note(
        found[0].start,
        f"rootless podman applies {names} only with cgroup v2 and delegated controllers; {where}",
        fix=(
            "boot with systemd.unified_cgroup_hierarchy=1 and delegate controllers "
            "(/etc/systemd/system/user@.service.d/delegate.conf: Delegate=cpu cpuset io "
            "memory pids); `rootless doctor` checks this"
        ),
    )


COMPOSE_LIMITS = (
    "mem_limit", "memswap_limit", "mem_reservation", "cpus", "cpu_shares", "cpu_quota",
    "cpu_period", "cpuset", "pids_limit", "blkio_config",
)  # fmt: skip


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import services  # noqa: PLC0415

    if ctx.settings.cgroup_v2 is True:
        return
    where = (
        "this host uses cgroup v1"
        if ctx.settings.cgroup_v2 is False
        else "they only work with cgroup v2"
    )
    for svc in services(s):
        found = []
        first = None
        deploy = svc.node.get("deploy")
        res = deploy.get("resources") if deploy is not None else None
        if res is not None and res.is_map:
            for key in ("limits", "reservations"):
                node = res.get(key)
                if (
                    node is not None
                    and node.is_map
                    and any(k in ("cpus", "memory", "pids") for k, _, _ in node.own())
                ):
                    found.append(f"deploy.resources.{key}")
                    first = first or node
        for key in COMPOSE_LIMITS:
            node = svc.node.get(key)
            if node is not None:
                found.append(key)
                first = first or node
        if first is None:
            continue
        yield RULE.note(
            first.start,
            f"service {svc.name}: rootless podman applies {', '.join(found)} only with cgroup "
            f"v2 and delegated controllers; {where}",
            fix=(
                "boot with systemd.unified_cgroup_hierarchy=1 and delegate controllers "
                "(/etc/systemd/system/user@.service.d/delegate.conf: Delegate=cpu cpuset io "
                "memory pids); `rootless doctor` checks this"
            ),
        )


RULE = Rule(
    id="resource-limits",
    summary="--memory/--cpus/--pids-limit need cgroup v2 + delegation: warn",
    example="docker run --memory 512m app  ->  (warning) needs cgroup v2 with delegation",
    severity=Severity.WARNING,
    link=TROUBLESHOOTING,
    on_command=check,
    options=frozenset(LIMITS),
    actions=RUN_CREATE,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
