"""`storage-filesystem`: podman's storage lives on a local file system that supports rootless
overlay and allows exec (not NFS, not noexec)."""

from __future__ import annotations

from rootless.doctor.facts import filesystem_of, mount_table, storage_config
from rootless.doctor.model import Assessment, Outcome, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

from .home_dir import NETWORK_FS

#: backing file systems containers/storage refuses for overlay without a mount_program
NO_NATIVE_OVERLAY = frozenset({"zfs", "aufs", "overlay", "ecryptfs"})


@check(
    "storage-filesystem",
    "Storage file system",
    requires=("not-root",),
    why=(
        "containers/storage refuses network file systems with user namespaces (`a network file "
        "system with user namespaces is not supported`), refuses overlay on zfs/overlay/ecryptfs "
        "without fuse-overlayfs, and containers on a noexec mount cannot start their programs."
    ),
)
def check_storage_filesystem(ctx: Context) -> Outcome:
    storage = ctx.fact(storage_config)
    path, mount = filesystem_of(ctx.host, storage.graphroot, ctx.fact(mount_table))
    if mount is None:
        return skip(f"skipped: no mount found for {path} in /proc/self/mountinfo")
    a = Assessment()
    fstype = mount.fstype
    a.data.update(graphroot=storage.graphroot, filesystem=fstype, mountpoint=mount.mountpoint)
    where = f"{storage.graphroot} is on {fstype} ({mount.mountpoint})"
    move = (
        "set graphroot in ~/.config/containers/storage.conf to a directory on a local file system "
        "(ext4, xfs, btrfs)"
    )
    if fstype in NETWORK_FS and not storage.mount_program:
        a.fail(f"{where}: a network file system with user namespaces is not supported; {move}")
    elif fstype in NO_NATIVE_OVERLAY and not storage.mount_program:
        a.fail(
            f"{where}: 'overlay' is not supported over {fstype}, a mount_program (fuse-overlayfs) is required"
        )
    if mount.has_option("noexec"):
        a.fail(
            f'{where}, mounted noexec: containers fail with "exec user process caused: permission denied"; {move}'
        )
    return a.outcome(f"{where}: local and exec-capable")
