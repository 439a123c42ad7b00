"""`ping-group-range`: `ping` works inside rootless containers (containers.conf sets
net.ipv4.ping_group_range in each container's network namespace)."""

from __future__ import annotations

from rootless.doctor.facts import containers_conf, sysctl_live
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

KEY = "net.ipv4.ping_group_range"


@check(
    "ping-group-range",
    "ping inside containers",
    why=(
        "Unprivileged ping needs the caller's group in net.ipv4.ping_group_range. Each container "
        "network namespace starts with `1 0` (nobody); podman's default containers.conf sets "
        "`0 0` per container, and --network=host containers use the host's value."
    ),
)
def check_ping_group_range(ctx: Context) -> Outcome:
    conf = ctx.fact(containers_conf)
    a = Assessment()
    sysctls = conf.get("containers", "default_sysctls")
    if isinstance(sysctls, list):
        entries = [str(s) for s in sysctls if str(s).split("=", 1)[0].strip() == KEY]
        if entries:
            a.ok(f"containers.conf sets {entries[-1]} in every container")
        else:
            a.warn(
                f"containers.conf overrides default_sysctls without {KEY}: ping fails in containers (100% packet loss)"
            )
    else:
        a.ok(f"podman's built-in default sets {KEY}=0 0 in every container")
    host_value = sysctl_live(ctx.host, KEY)
    if host_value is not None:
        lo, _, hi = host_value.partition(" ")
        covers = lo.isdigit() and hi.strip().isdigit() and int(lo) <= ctx.host.gid <= int(hi)
        a.info(
            f"host {KEY} = {host_value}: ping in --network=host containers {'works' if covers else 'fails'} for gid {ctx.host.gid}"
        )
        a.data["host"] = host_value
    return a.outcome(f"ping works in rootless containers ({KEY} is set per container)")
