"""`uidmap-helpers`: newuidmap/newgidmap are installed and privileged - setuid root *or* file
capabilities (decoded from security.capability) - and not on a nosuid mount."""

from __future__ import annotations

import struct
from typing import NamedTuple

from rootless.doctor.common import fix, note, packages, step
from rootless.doctor.facts import mount_table
from rootless.doctor.host import mount_for
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

CAP_SETGID = 6
CAP_SETUID = 7
_REV_MASK = 0xFF000000
_FLAG_EFFECTIVE = 0x000001
_REVISIONS = {0x01000000: 1, 0x02000000: 2, 0x03000000: 3}


class FileCaps(NamedTuple):
    revision: int
    effective: bool
    permitted: frozenset[int]
    inheritable: frozenset[int]
    #: v3 (namespaced) capabilities apply only to the user namespace whose root is this uid
    rootid: int | None = None

    def grants(self, cap: int) -> bool:
        """Does exec'ing the file give ``cap`` (permitted, with the effective bit)?"""
        return self.effective and cap in self.permitted and not self.rootid


def _bits(lo: int, hi: int) -> frozenset[int]:
    value = lo | (hi << 32)
    return frozenset(i for i in range(64) if value >> i & 1)


def parse_vfs_capability(data: bytes) -> FileCaps | None:
    """Decode a ``security.capability`` xattr (struct vfs_cap_data / vfs_ns_cap_data).

    ``AQAAAoAAAAAAAAAAAAAAAAAAAAA=`` (base64) is revision 2, effective, permitted
    {CAP_SETUID}: what ``setcap cap_setuid+ep`` writes. None for anything unparseable.
    """
    if len(data) < 4:
        return None
    (magic,) = struct.unpack_from("<I", data, 0)
    revision = _REVISIONS.get(magic & _REV_MASK)
    if revision is None:
        return None
    words = 1 if revision == 1 else 2
    need = 4 + 8 * words + (4 if revision == 3 else 0)
    if len(data) < need:
        return None
    pairs = [struct.unpack_from("<II", data, 4 + 8 * i) for i in range(words)]
    perm_lo, inh_lo = pairs[0]
    perm_hi, inh_hi = pairs[1] if words == 2 else (0, 0)
    rootid = struct.unpack_from("<I", data, 4 + 8 * words)[0] if revision == 3 else None
    return FileCaps(
        revision,
        bool(magic & _FLAG_EFFECTIVE),
        _bits(perm_lo, perm_hi),
        _bits(inh_lo, inh_hi),
        rootid,
    )


@check(
    "uidmap-helpers",
    "newuidmap and newgidmap",
    why=(
        "Only the privileged helpers newuidmap/newgidmap may write a user's sub-id ranges into a "
        "namespace. Missing, they make podman fall back to one id; unprivileged (setuid bit or "
        "file capabilities lost, e.g. by an image build or a nosuid mount) they fail with "
        "`newuidmap: write to uid_map failed: Operation not permitted`."
    ),
    templates=("install-packages", "reinstall-uidmap", "note"),
)
def check_uidmap_helpers(ctx: Context) -> Outcome:
    host = ctx.host
    a = Assessment()
    mounts = ctx.fact(mount_table)
    reinstall = fix(
        step(
            "reinstall-uidmap",
            "reinstall newuidmap/newgidmap with their setuid bit or file capabilities",
            part="root",
            effect="now",
        )
    )
    for name, cap, cap_name in (
        ("newuidmap", CAP_SETUID, "cap_setuid"),
        ("newgidmap", CAP_SETGID, "cap_setgid"),
    ):
        on_path = host.which(name)
        path = on_path or next(
            (
                p
                for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}", f"/bin/{name}")
                if host.exists(p)
            ),
            None,
        )
        missing = f'podman prints `command required for rootless mode with multiple IDs: exec: "{name}": executable file not found in $PATH`'
        if path is None:
            a.fail(
                f"{name} is not installed: {missing}",
                fix(packages("uidmap", "newuidmap/newgidmap")),
            )
            continue
        if on_path is None:
            # podman (exec.LookPath) and rootless look the helpers up on $PATH only
            folder = path.rsplit("/", 1)[0]
            a.fail(
                f"{name} is installed as {path}, but {folder} is not on $PATH "
                f"({host.env.get('PATH', '')}): {missing}",
                fix(
                    note(
                        f"put {folder} on your $PATH (e.g. in ~/.profile): podman looks up newuidmap and newgidmap there",
                        part="user",
                    )
                ),
            )
            continue
        real = host.realpath(path)
        st = host.stat(real)
        if st is None:
            a.fail(
                f"{path} points at {real}, which does not exist",
                fix(packages("uidmap", "newuidmap/newgidmap")),
            )
            continue
        raw = host.getxattr(real, "security.capability")
        caps = parse_vfs_capability(raw) if raw else None
        setuid = st.is_setuid and st.uid == 0
        filecap = caps is not None and caps.grants(cap)
        a.data[name] = {
            "path": real,
            "mode": f"{st.perms:04o}",
            "owner": st.uid,
            "setuid": setuid,
            "file_capabilities": sorted(caps.permitted) if caps else None,
        }
        if st.uid != 0:
            a.fail(
                f"{real} is owned by uid {st.uid}, not root: its setuid bit or capabilities grant nothing",
                reinstall,
            )
            continue
        if not (setuid or filecap):
            extra = ""
            if raw and caps is None:
                extra = " (its security.capability attribute cannot be decoded)"
            elif caps is not None and caps.rootid:
                extra = f" (its capabilities are namespaced to root uid {caps.rootid})"
            elif caps is not None:
                extra = f" (its file capabilities lack {cap_name}+ep)"
            a.fail(
                f"{real} is neither setuid root nor has {cap_name}+ep (mode {st.perms:04o}){extra}: "
                f"{name}: write to {'uid' if name == 'newuidmap' else 'gid'}_map failed: Operation not permitted",
                reinstall,
            )
            continue
        mount = mount_for(mounts, real)
        if mount is not None and mount.has_option("nosuid"):
            a.fail(
                f"{real} is on a nosuid mount ({mount.mountpoint}): the kernel ignores its setuid bit and file capabilities",
                fix(
                    note(
                        f"remount {mount.mountpoint} without nosuid (see /etc/fstab), or install the helpers on a file system that honours setuid"
                    )
                ),
            )
            continue
        how = "setuid root" if setuid else f"file capability {cap_name}+ep"
        a.ok(f"{real}: {how}")
    return a.outcome("newuidmap and newgidmap are installed and privileged")
