"""`shared-root-mount`: `/` is a shared mount, so mounts propagate into rootless containers."""

from __future__ import annotations

from rootless.doctor.common import fix, step
from rootless.doctor.facts import mount_table
from rootless.doctor.model import Outcome, Status, ok, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "shared-root-mount",
    "/ is a shared mount",
    why=(
        'Podman warns `"/" is not a shared mount, this could cause issues or missing mounts with '
        "rootless containers` on every call: volumes mounted later, and mount propagation options, "
        "do not reach containers. systemd makes / shared; OpenRC and minimal inits do not."
    ),
    templates=("make-root-shared",),
)
def check_shared_root_mount(ctx: Context) -> Outcome:
    roots = [m for m in ctx.fact(mount_table) if m.mountpoint == "/"]
    if not roots:
        return skip("skipped: / is not in /proc/self/mountinfo")
    root = roots[-1]
    if root.shared:
        tag = next(o for o in root.optional if o.startswith("shared:"))
        return ok(f"/ is a shared mount ({tag})")
    return Outcome(
        Status.WARN,
        '"/" is not a shared mount: mounts made later do not propagate into rootless containers',
        details=(
            f"/ is {root.fstype} from {root.source}, propagation: {' '.join(root.optional) or 'private'}",
        ),
        fix=fix(
            step(
                "make-root-shared",
                "make / a shared mount, now and at every boot",
                part="root",
                effect="now",
            )
        ),
    )
