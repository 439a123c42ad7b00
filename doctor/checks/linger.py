"""`linger`: systemd keeps the user's services (and containers) running after logout."""

from __future__ import annotations

from rootless.doctor.common import fix, step
from rootless.doctor.facts import systemd_booted
from rootless.doctor.model import Outcome, Status, ok, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "linger",
    "Lingering (containers outlive the login)",
    requires=("not-root",),
    why=(
        "Without lingering, systemd stops every process of the user - containers and podman's "
        "pause process included - shortly after the last logout, and user services do not start at boot."
    ),
    templates=("linger",),
)
def check_linger(ctx: Context) -> Outcome:
    host = ctx.host
    if not ctx.fact(systemd_booted):
        return skip("not applicable: this host does not run systemd")
    path = f"/var/lib/systemd/linger/{host.user}"
    if host.exists(path):
        return ok(f"linger is on for {host.user} ({path} exists)")
    return Outcome(
        Status.WARN,
        f"linger is off for {host.user}: containers stop a few seconds after you log out",
        details=(f"{path} does not exist",),
        fix=fix(
            step(
                "linger",
                f"enable lingering for {host.user} (loginctl enable-linger)",
                part="root",
                effect="now",
                user=host.user,
            )
        ),
    )
