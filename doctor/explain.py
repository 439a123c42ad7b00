"""``rootless doctor --explain "<pasted error>"``: real podman / newuidmap / crun / rootlesskit
error strings (the error index of the research notes) mapped to the checks that explain them."""

from __future__ import annotations

import re
from typing import NamedTuple


class KnownError(NamedTuple):
    pattern: str
    checks: tuple[str, ...]
    meaning: str

    def search(self, text: str) -> re.Match[str] | None:
        return re.search(self.pattern, text, re.IGNORECASE)


#: fragment (regex) -> checks -> what it means. Order: most specific first.
INDEX: tuple[KnownError, ...] = (
    KnownError(
        r"user namespaces are not enabled in /proc/sys/user/max_user_namespaces|cannot clone: Invalid argument",
        ("user-namespaces",),
        "the kernel refused to create a user namespace: user.max_user_namespaces is 0, or (CentOS/RHEL 7) "
        "the kernel was booted without user_namespace.enable=1",
    ),
    KnownError(
        r"cannot clone: No space left on device|no space left on device",
        ("user-namespaces",),
        "the per-user limit of user namespaces is 0 or used up (user.max_user_namespaces)",
    ),
    KnownError(
        r"unprivileged_userns_clone|cannot clone: Operation not permitted|unshare\(CLONE_NEWUSER\): Operation not permitted",
        ("user-namespaces", "host-environment"),
        "unprivileged user namespaces are forbidden: Debian's kernel.unprivileged_userns_clone=0, or a "
        "seccomp filter of an outer container",
    ),
    KnownError(
        r"cannot clone: Permission denied|failed to reexec: Permission denied|apparmor_restrict_unprivileged_userns",
        ("apparmor-userns",),
        "AppArmor (Ubuntu 23.10+) denied the user namespace: no profile allows podman at its real path",
    ),
    KnownError(
        r"fork/exec /proc/self/exe: operation not permitted",
        ("user-namespaces", "apparmor-userns"),
        "rootlesskit could not create its user namespace (sysctl or AppArmor restriction)",
    ),
    KnownError(
        r"cannot re-exec process",
        ("user-namespaces", "apparmor-userns", "userns-mapping"),
        "podman could not enter its user namespace (it follows any clone/mapping failure)",
    ),
    KnownError(
        r'command required for rootless mode with multiple IDs|exec: "new[ug]idmap": executable file not found',
        ("uidmap-helpers",),
        "newuidmap/newgidmap are not installed",
    ),
    KnownError(
        r"write to [ug]id_map failed: Operation not permitted|should have setuid or have filecaps",
        ("uidmap-helpers", "userns-mapping"),
        "newuidmap/newgidmap lack their setuid bit or file capabilities (or sit on a nosuid mount)",
    ),
    KnownError(
        r"open of [ug]id_map failed: Permission denied",
        ("host-environment", "uidmap-helpers", "userns-mapping"),
        "the helper may not write the map: running inside a container, or an LSM denied it",
    ),
    KnownError(
        r"includes the user UID",
        ("subid-ranges",),
        "the user's /etc/subuid range contains the user's own uid",
    ),
    KnownError(
        r"cannot find (?:UID/GID|mappings) for user|no subuid ranges found for user|No subgid ranges found",
        ("subid-ranges", "user-env"),
        "no /etc/subuid or /etc/subgid line for the user podman looked up (by $USER first)",
    ),
    KnownError(
        r"Using rootless single mapping into the namespace",
        ("subid-ranges", "uidmap-helpers"),
        "podman found no sub-id range (or no helpers) and mapped only the user's own id",
    ),
    KnownError(
        r"potentially insufficient UIDs or GIDs|there might not be enough IDs available|lchown [^:]*: invalid argument",
        ("subid-ranges", "pause-process"),
        "the image needs ids the namespace does not map: the range is missing or too small, or the pause "
        "process still has the old ranges",
    ),
    KnownError(
        r"Format not correct for /etc/sub[ug]id",
        ("subid-ranges",),
        "a line of /etc/subuid or /etc/subgid is malformed; podman rejects the whole file",
    ),
    KnownError(
        r"failed to setup UID/GID map|failed to compute uid/gid map",
        ("subid-ranges",),
        "rootlesskit found no sub-id range for the user",
    ),
    KnownError(
        r"setup user: invalid argument",
        ("subid-ranges",),
        "the container's user id lies outside the mapped range",
    ),
    KnownError(
        r"invalid internal status, try resetting the pause process",
        ("pause-process", "uidmap-helpers"),
        "podman's pause process is stale or the helpers failed",
    ),
    KnownError(
        r"XDG_RUNTIME_DIR directory .* is not owned by the current user|creating tmpdir: mkdir /run/user|RunRoot is pointing to a path",
        ("runtime-dir",),
        "XDG_RUNTIME_DIR is missing or belongs to someone else (a `su -` or `sudo -i` session)",
    ),
    KnownError(
        r"current system boot ID differs from cached boot ID",
        ("runtime-dir",),
        "podman's runtime directory survived a reboot: it is not on tmpfs",
    ),
    KnownError(
        r"no systemd user session available|Failed to add pause process to systemd sandbox cgroup|Failed to connect to bus|read unix @->/run/systemd/private",
        ("user-session-bus", "runtime-dir"),
        "there is no systemd user session (D-Bus) for this login",
    ),
    KnownError(
        r"Cgroups v1 not supported|Using cgroups-v1 which is deprecated",
        ("cgroup-v2",),
        "the host runs cgroup v1; Podman 5 deprecates it and Podman 6 refuses it",
    ),
    KnownError(
        r"cgroups in hybrid mode not supported",
        ("oci-runtime", "cgroup-v2"),
        "crun refuses a hybrid cgroup host whose cgroup v2 tree has controllers",
    ),
    KnownError(
        r"the requested cgroup controller .* is not available|controller .* is not delegated",
        ("cgroup-delegation",),
        "systemd does not delegate that cgroup controller to the user",
    ),
    KnownError(
        r"'overlay' is not supported over|kernel does not support overlay fs|'overlay' not found as a supported filesystem",
        ("storage-filesystem", "overlay-mount"),
        "the storage file system cannot hold rootless overlay",
    ),
    KnownError(
        r"a network file system with user namespaces is not supported|ApplyLayer .* permission denied",
        ("storage-filesystem",),
        "podman's storage is on NFS or another network file system",
    ),
    KnownError(
        r"formatted without d_type support",
        ("storage-filesystem",),
        "the storage file system (xfs ftype=0) lacks d_type",
    ),
    KnownError(
        r"fuse: device not found|fuse-overlayfs: cannot mount",
        ("overlay-mount",),
        "fuse-overlayfs cannot run (/dev/fuse missing)",
    ),
    KnownError(
        r"database .* does not match our|prior storage driver .* failed",
        ("storage-driver",),
        "storage.conf names a different driver than the one the storage was created with",
    ),
    KnownError(
        r'"/" is not a shared mount',
        ("shared-root-mount",),
        "/ is a private mount; mounts do not propagate into containers",
    ),
    KnownError(
        r"could not find (?:pasta|slirp4netns)",
        ("network-helper",),
        "the rootless network helper is not installed",
    ),
    KnownError(
        r"/dev/net/tun",
        ("tun-device",),
        "the network helper cannot use /dev/net/tun",
    ),
    KnownError(
        r"cannot expose privileged port|Listen failed for HOST TCP port|bind: permission denied",
        ("unprivileged-ports",),
        "a port below net.ipv4.ip_unprivileged_port_start cannot be published rootless",
    ),
    KnownError(
        r"did not resolve to an alias and no unqualified-search registries|short-name resolution enforced but cannot prompt",
        ("short-name-resolution",),
        "a short image name cannot be resolved with this registries.conf",
    ),
    KnownError(
        r"Bare keys cannot contain|registries.conf.*(?:toml|parse)",
        ("short-name-resolution",),
        "registries.conf is not valid TOML",
    ),
    KnownError(
        r'exec user process caused "?permission denied',
        ("home-dir", "storage-filesystem"),
        "container programs cannot be executed: the storage is on a noexec mount",
    ),
    KnownError(
        r"Cannot connect to the Docker daemon|docker\.sock",
        ("docker-socket", "docker-host-env"),
        "a Docker client is still looking for the Docker daemon",
    ),
)


class Match(NamedTuple):
    fragment: str
    checks: tuple[str, ...]
    meaning: str


def matches(text: str) -> list[Match]:
    """Every known error found in ``text`` (each at most once), in index order."""
    out: list[Match] = []
    for known in INDEX:
        m = known.search(text)
        if m:
            out.append(Match(m.group(0), known.checks, known.meaning))
    return out


def explain(text: str) -> list[str]:
    """The check ids that explain the errors in ``text`` (de-duplicated, in index order)."""
    ids: list[str] = []
    for match in matches(text):
        for check_id in match.checks:
            if check_id not in ids:
                ids.append(check_id)
    return ids
