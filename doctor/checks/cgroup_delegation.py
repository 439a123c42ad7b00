"""`cgroup-delegation`: systemd delegates the cpu, memory and pids controllers to the user, so
rootless containers can have resource limits."""

from __future__ import annotations

from rootless.doctor.common import fix, step
from rootless.doctor.facts import cgroup_info, systemd_booted
from rootless.doctor.model import Outcome, Status, ok, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

NEEDED = ("cpu", "memory", "pids")
NICE = ("cpuset", "io")


@check(
    "cgroup-delegation",
    "cgroup controllers delegated to the user",
    requires=("not-root",),
    why=(
        "On cgroup v2 a rootless user can only limit what systemd delegates to user@UID.service. "
        "Without cpu, `podman run --cpus` fails with `the requested cgroup controller 'cpu' is not available`."
    ),
    templates=("cgroup-delegation",),
)
def check_cgroup_delegation(ctx: Context) -> Outcome:
    host = ctx.host
    if ctx.fact(cgroup_info).mode != "v2":
        return skip("not applicable: cgroup v2 is not in use (see cgroup-v2)")
    if not ctx.fact(systemd_booted):
        return skip("not applicable: without systemd nothing delegates cgroups to users")
    path = f"/sys/fs/cgroup/user.slice/user-{host.uid}.slice/user@{host.uid}.service/cgroup.controllers"
    text = host.read_text(path)
    remedy = fix(
        step(
            "cgroup-delegation",
            "delegate cpu cpuset io memory pids to every user@.service",
            part="root",
            effect="re-login",
        )
    )
    if text is None:
        return Outcome(
            Status.WARN,
            f"no systemd user manager for uid {host.uid} ({path} is missing): log in through a session or enable linger",
        )
    controllers = text.split()
    missing = [c for c in NEEDED if c not in controllers]
    if missing:
        return Outcome(
            Status.WARN,
            f"{', '.join(missing)} not delegated to {host.user} (delegated: {' '.join(controllers) or 'none'})",
            fix=remedy,
            data={"controllers": controllers},
        )
    extra = [c for c in NICE if c not in controllers]
    details = (
        [f"not delegated: {' '.join(extra)} (--cpuset-cpus / --device-read-bps need them)"]
        if extra
        else []
    )
    return ok(
        f"delegated to {host.user}: {' '.join(controllers)}",
        details=details,
        controllers=controllers,
    )
