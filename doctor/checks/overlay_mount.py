"""`overlay-mount`: the kernel mounts overlayfs inside a rootless user namespace, on the file
system that holds podman's storage (probe), so podman can use native overlay instead of vfs."""

from __future__ import annotations

from rootless.doctor.common import fix, packages
from rootless.doctor.facts import find_helper, kernel_release, namespace_probe, version_triple
from rootless.doctor.model import Outcome, Status, ok, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


def kernel_version(release: str) -> tuple[int, int] | None:
    triple = version_triple(release)
    return (triple[0], triple[1]) if triple else None


@check(
    "overlay-mount",
    "Native overlay in a user namespace (probe)",
    requires=("not-root", "user-namespaces"),
    timeout=20.0,
    prefetch=(namespace_probe,),
    why=(
        "Podman's fast storage driver is overlay. Rootless, it needs a kernel that mounts overlayfs "
        "inside a user namespace (5.11+) on the storage file system; otherwise podman needs "
        "fuse-overlayfs or falls back to vfs, which copies every layer in full."
    ),
    templates=("install-packages",),
)
def check_overlay_mount(ctx: Context) -> Outcome:
    host = ctx.host
    release = ctx.fact(kernel_release)
    version = kernel_version(release)
    fuse = find_helper(host, "fuse-overlayfs")
    blocker = host.probe_blocker()
    if not ctx.probes or blocker:
        why_not = "probes disabled (--no-probe)" if not ctx.probes else blocker
        if version is not None and version < (5, 11):
            return Outcome(
                Status.WARN,
                f"kernel {release} is older than 5.11: no native rootless overlay ({why_not})",
                fix=None
                if fuse
                else fix(packages("fuse-overlayfs", "overlay storage on older kernels")),
            )
        return skip(f"not probed: {why_not}; kernel {release} supports rootless overlay (5.11+)")
    run = ctx.fact(namespace_probe)
    res = run.probe.overlay
    if res is None:
        return skip(
            f"skipped: {host.user} cannot write to the storage directory, so it cannot be probed"
        )
    data = {
        "probed": True,
        "directory": run.overlay_dir,
        "filesystem": run.overlay_fs,
        "kernel": release,
    }
    if res.ok:
        return ok(
            f"overlayfs mounts in a user namespace on {run.overlay_fs} ({run.overlay_dir}); copy-up and whiteouts work",
            details=[*res.notes],
            **data,
        )
    message = res.error.strip().splitlines()[0] if res.error.strip() else "the overlay probe failed"
    details = tuple(f"| {line}" for line in res.error.strip().splitlines()) + res.notes
    if fuse:
        return Outcome(
            Status.WARN,
            f"native overlay failed on {run.overlay_fs}: {message}; podman falls back to fuse-overlayfs ({fuse}), which is slower",
            details=details,
            data={**data, "ok": False},
        )
    return Outcome(
        Status.FAIL,
        f"native overlay failed on {run.overlay_fs}: {message}; without fuse-overlayfs podman falls back to vfs",
        details=details,
        fix=fix(packages("fuse-overlayfs", "overlay storage where native overlay fails")),
        data={**data, "ok": False},
    )
