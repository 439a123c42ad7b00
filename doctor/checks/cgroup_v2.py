"""`cgroup-v2`: the host uses the unified cgroup v2 hierarchy (rootless resource limits;
required by Podman 6)."""

from __future__ import annotations

from rootless.doctor.common import fix, note, step
from rootless.doctor.facts import cgroup_info, distro_info, is_el7, podman_info, systemd_booted
from rootless.doctor.model import Outcome, Status, ok
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

UNIFIED_ARG = "systemd.unified_cgroup_hierarchy=1"


@check(
    "cgroup-v2",
    "cgroup v2",
    why=(
        "On cgroup v1, rootless containers get no resource limits (--memory, --cpus, --pids-limit "
        "are ignored); Podman 5 warns that v1 is deprecated and Podman 6 stops with "
        "`Cgroups v1 not supported`."
    ),
    templates=("kernel-arg", "reboot", "cgroup-v2-openrc", "note"),
)
def check_cgroup_v2(ctx: Context) -> Outcome:
    host = ctx.host
    cgroup = ctx.fact(cgroup_info)
    if cgroup.mode == "v2":
        return ok(
            f"cgroup v2 (unified hierarchy; controllers: {' '.join(cgroup.v2_controllers) or 'none'})",
            mode="v2",
        )
    podman = ctx.fact(podman_info)
    major = podman.version[0] if podman and podman.version else None
    distro = ctx.fact(distro_info)
    if is_el7(host, distro):
        remedy = fix(
            note("CentOS/RHEL 7 cannot use cgroup v2 (systemd 219): move to a supported release")
        )
    elif ctx.fact(systemd_booted):
        remedy = fix(
            step(
                "kernel-arg",
                f"boot with {UNIFIED_ARG}",
                part="root",
                effect="reboot",
                arg=UNIFIED_ARG,
            ),
            step(
                "reboot",
                "reboot into the unified cgroup hierarchy",
                part="root",
                effect="reboot",
                reason="cgroup v2",
            ),
        )
    elif distro.family == "alpine":
        remedy = fix(
            step(
                "cgroup-v2-openrc",
                "mount the unified cgroup v2 hierarchy at boot (rc_cgroup_mode)",
                part="root",
                effect="reboot",
            ),
            step(
                "reboot",
                "reboot into the unified cgroup hierarchy",
                part="root",
                effect="reboot",
                reason="cgroup v2",
            ),
        )
    else:
        remedy = fix(
            note(
                "this host's init mounts cgroup v1; configure it to mount cgroup2 at /sys/fs/cgroup",
                effect="reboot",
            )
        )
    layout = "hybrid (v1 controllers, an extra v2 tree)" if cgroup.mode == "hybrid" else cgroup.mode
    if major is not None and major >= 6:
        return Outcome(
            Status.FAIL,
            f"cgroup {layout}: Podman {major} refuses it (Cgroups v1 not supported)",
            fix=remedy,
            data={"mode": cgroup.mode},
        )
    consequence = (
        "deprecated in Podman 5, refused by Podman 6"
        if major == 5
        else "no rootless resource limits; Podman 6 refuses cgroup v1"
    )
    return Outcome(
        Status.WARN, f"cgroup {layout}: {consequence}", fix=remedy, data={"mode": cgroup.mode}
    )
