"""`user-session-bus`: a systemd user D-Bus session exists (podman's systemd cgroup manager)."""

from __future__ import annotations

import posixpath

from rootless.doctor.common import fix, note, packages
from rootless.doctor.facts import systemd_booted
from rootless.doctor.model import Outcome, Status, ok, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "user-session-bus",
    "User D-Bus session",
    requires=("not-root",),
    why=(
        "With systemd, podman manages rootless cgroups through the user's D-Bus session. Without "
        "it podman falls back to cgroupfs (no resource limits) and systemd units or quadlets for "
        "containers do not work."
    ),
    templates=("install-packages", "note"),
)
def check_user_session_bus(ctx: Context) -> Outcome:
    host = ctx.host
    if not ctx.fact(systemd_booted):
        return skip("not applicable: this host does not run systemd (podman uses cgroupfs)")
    runtime = host.env.get("XDG_RUNTIME_DIR") or f"/run/user/{host.uid}"
    bus = posixpath.join(runtime, "bus")
    address = "" if host.impersonated else host.env.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        return ok(f"DBUS_SESSION_BUS_ADDRESS={address}", address=address)
    if host.exists(bus):
        return ok(f"the user bus socket {bus} exists", address=f"unix:path={bus}")
    return Outcome(
        Status.WARN,
        f"no user D-Bus session ({bus} is missing): podman falls back to cgroupfs",
        details=(
            "podman prints: The cgroupv2 manager is set to systemd but there is no systemd user session available",
            "rootless containers get no resource limits; `podman generate systemd` units and quadlets do not run",
        ),
        fix=fix(
            packages("dbus-user-session", "the per-user D-Bus session", effect="re-login"),
            note(
                "log out and in again (a new session starts the user bus)",
                part="user",
                effect="re-login",
            ),
        ),
    )
