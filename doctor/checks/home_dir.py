"""`home-dir`: the home directory exists, belongs to the user, is writable and allows exec."""

from __future__ import annotations

import os

from rootless.doctor.facts import filesystem_of, mount_table
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

NETWORK_FS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "gpfs",
        "lustre",
        "afs",
        "ocfs2",
        "fuse.sshfs",
        "vboxsf",
        "9p",
    }
)


@check(
    "home-dir",
    "Home directory",
    requires=("not-root",),
    why=(
        "Podman keeps images, containers and its configuration under $HOME by default; a home "
        "that is not writable, mounted noexec or on NFS breaks pulls and container starts."
    ),
)
def check_home_dir(ctx: Context) -> Outcome:
    host = ctx.host
    a = Assessment()
    home = host.env.get("HOME") or host.home
    st = host.stat(home)
    if not home:
        a.fail("$HOME is not set")
    elif st is None:
        a.fail(f"{home} does not exist")
    elif not st.is_dir:
        a.fail(f"{home} is not a directory")
    else:
        if st.uid != host.uid:
            a.warn(f"{home} belongs to uid {st.uid}, not to {host.user} (uid {host.uid})")
        if not host.access(home, os.W_OK | os.X_OK):
            a.fail(f"{home} is not writable by {host.user}")
        _, mount = filesystem_of(host, home, ctx.fact(mount_table))
        if mount is not None:
            if mount.has_option("noexec"):
                a.warn(
                    f"{home} is on a noexec mount ({mount.mountpoint}): containers stored there fail with "
                    '"exec user process caused: permission denied"'
                )
            if mount.fstype in NETWORK_FS:
                a.warn(
                    f"{home} is on {mount.fstype} ({mount.mountpoint}): container storage must move to a local file system"
                )
            a.data.update(filesystem=mount.fstype, mountpoint=mount.mountpoint)
    a.data["home"] = home
    return a.outcome(f"{home} is a writable directory owned by {host.user}")
