"""`storage-driver`: podman's storage uses overlay when overlay works (not vfs), and the driver
in storage.conf matches the one the existing storage was created with."""

from __future__ import annotations

from rootless.doctor.common import fix, step
from rootless.doctor.facts import config_home, storage_config
from rootless.doctor.model import Assessment, Outcome, Status
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "storage-driver",
    "Storage driver",
    requires=("not-root",),
    after=("overlay-mount",),
    why=(
        "vfs copies every image layer in full: pulls are slow and storage balloons. Podman picks "
        "vfs silently when it judged overlay unusable at first use, and keeps it from then on."
    ),
    templates=("storage-overlay",),
)
def check_storage_driver(ctx: Context) -> Outcome:
    storage = ctx.fact(storage_config)
    a = Assessment()
    for error in storage.errors:
        a.fail(f"cannot parse storage configuration: {error}")
    a.data.update(
        configured=storage.driver,
        stored=list(storage.stored_drivers),
        graphroot=storage.graphroot,
        mount_program=storage.mount_program,
    )
    a.info(f"graphroot: {storage.graphroot}")
    if storage.sources:
        a.info(f"configuration: {', '.join(storage.sources)}")
    if storage.driver and storage.stored_drivers and storage.driver not in storage.stored_drivers:
        a.fail(
            f"storage.conf asks for {storage.driver}, but {storage.graphroot} was created with "
            f"{', '.join(storage.stored_drivers)}: podman refuses to start (database graph driver "
            f'"{storage.stored_drivers[0]}" does not match our graph driver "{storage.driver}")'
        )
    driver = storage.effective_driver
    overlay = ctx.result("overlay-mount")
    overlay_works = (
        overlay is not None and overlay.status is Status.OK and bool(overlay.data.get("probed"))
    )
    if driver == "vfs":
        if overlay_works:
            a.warn(
                f"podman's storage uses vfs although native overlay works here: every layer is copied in full ({storage.graphroot})",
                fix(
                    step(
                        "storage-overlay",
                        "switch podman's storage to overlay (destroys local images and containers: commented out)",
                        part="user",
                        effect="now",
                        config=f"{config_home(ctx.host)}/containers/storage.conf",
                    )
                ),
            )
        else:
            a.warn(
                f"podman's storage uses vfs: every layer is copied in full ({storage.graphroot})"
            )
    elif not driver:
        a.ok(
            "podman's storage is not initialised yet; it picks overlay when native overlay or fuse-overlayfs works"
        )
    elif driver == "overlay":
        how = f"with mount_program {storage.mount_program}" if storage.mount_program else "native"
        a.ok(f"podman's storage uses overlay ({how})")
    else:
        a.ok(f"podman's storage uses {driver}")
    summary = (
        f"podman's storage uses {driver}" if driver else "podman's storage is not initialised yet"
    )
    return a.outcome(summary)
