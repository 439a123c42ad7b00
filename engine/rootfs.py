"""The container's root filesystem, built by PID 1 inside its own mount namespace.

Runs in the freshly forked container init (G in engine.md §6) after ``unshare(CLONE_NEWNS)``,
as root of the user namespace, before ``pivot_root``:

1. ``/`` becomes ``MS_REC|MS_PRIVATE`` so nothing leaks to the host (P11);
2. the rootfs: kernel overlayfs with ``userxattr`` (lowerdir = the image rootfs, read-only;
   upper/work in the container directory), else a private copy (``cp -a``) made once, or,
   for ``--rootfs DIR``, DIR itself bound onto itself;
3. ``/proc`` (a new instance for the new pid namespace), ``/sys`` read-only (sysfs when the
   network namespace is ours, else a read-only rbind of the host's), ``/dev`` (tmpfs, the
   six host device nodes bind-mounted, devpts without ``gid=5`` (P20), shm, mqueue), the
   masked and read-only paths podman uses, the generated ``/etc/hosts``, ``/etc/hostname``
   and ``/etc/resolv.conf``, then the ``-v`` volumes (``ro`` restates the locked flags, P9);
4. ``pivot_root(".", ".")`` then a lazy unmount of the old root.

Every path inside the image is resolved with :func:`open_in_root`: symlinks are followed
as if the rootfs were ``/`` (absolute targets restart at the rootfs, ``..`` stops there),
so a hostile image cannot make us mount or create anything outside its rootfs. Mounts then
target the pinned file descriptor through ``/proc/self/fd/N``, as runc does.
"""

from __future__ import annotations

import errno
import os
import stat

from rootless.engine.spec import Volume
from rootless.engine.userns import (
    MNT_DETACH,
    MOUNT_ATTR_RDONLY,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    MS_STRICTATIME,
    mount,
    mount_setattr,
    pivot_root,
    umount2,
)

_O_PATH = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_SYMLINKS = 40

#: host device nodes every container gets (crun's ``needed_devs``; no mknod in a userns)
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = (
    ("ptmx", "pts/ptmx"),
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("core", "/proc/kcore"),
)
#: podman's default masked paths (containers/common ``DefaultMaskedPaths``)
MASKED_PATHS = (
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/fs/selinux",
    "/sys/dev/block",
    "/sys/devices/virtual/powercap",
)
#: podman's default read-only paths
READONLY_PATHS = (
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

# statvfs f_flag bits -> the mount flags a remount must restate (locked in a userns)
_LOCKED = (
    (os.ST_NOSUID, MS_NOSUID),
    (os.ST_NODEV, MS_NODEV),
    (os.ST_NOEXEC, MS_NOEXEC),
    (os.ST_NOATIME, 0x400),
    (os.ST_NODIRATIME, 0x800),
    (os.ST_RELATIME, 0x200000),
)


class SetupError(Exception):
    """A failed step while building the rootfs; ``check_id`` names the doctor check."""

    def __init__(self, message: str, check_id: str | None = None) -> None:
        super().__init__(message)
        self.check_id = check_id


def fd_path(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


def open_in_root(
    root_fd: int, path: str, *, create: str | None = None, mode: int = 0o755
) -> tuple[int, str]:
    """Open ``path`` (a container path) below the directory ``root_fd``, never leaving it.

    Symlinks resolve as under ``chroot(root)``. With ``create`` = ``"dir"`` or ``"file"``,
    missing components are created (directories, and the last one as that kind). Returns
    an ``O_PATH`` descriptor and the resolved path relative to the root (no symlinks left).
    """
    parts = [p for p in path.split("/") if p and p != "."]
    parts.reverse()  # a stack: the next component is parts[-1]
    names: list[str] = []
    fds: list[int] = []
    links = 0
    try:
        while parts:
            name = parts.pop()
            if name == "..":
                if fds:
                    os.close(fds.pop())
                    names.pop()
                continue
            cur = fds[-1] if fds else root_fd
            try:
                fd = os.open(name, _O_PATH, dir_fd=cur)
            except FileNotFoundError:
                if create is None:
                    raise
                if not parts and create == "file":
                    os.close(
                        os.open(
                            name,
                            os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                            0o644,
                            dir_fd=cur,
                        )
                    )
                else:
                    os.mkdir(name, mode, dir_fd=cur)
                fd = os.open(name, _O_PATH, dir_fd=cur)
            st = os.fstat(fd)
            if stat.S_ISLNK(st.st_mode):
                os.close(fd)
                links += 1
                if links > _MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, "too many levels of symbolic links", path)
                target = os.readlink(name, dir_fd=cur)
                if target.startswith("/"):
                    while fds:
                        os.close(fds.pop())
                    names.clear()
                parts.extend(reversed([p for p in target.split("/") if p and p != "."]))
                continue
            if parts and not stat.S_ISDIR(st.st_mode):
                os.close(fd)
                raise OSError(errno.ENOTDIR, "not a directory", "/" + "/".join([*names, name]))
            fds.append(fd)
            names.append(name)
        result = fds.pop() if fds else os.open(".", _O_PATH | os.O_DIRECTORY, dir_fd=root_fd)
        return result, "/".join(names)
    finally:
        for fd in fds:
            os.close(fd)


def locked_flags(path: str) -> int:
    """The mount flags of the filesystem at ``path`` that a remount in a user namespace
    must restate, or the kernel refuses it with EPERM (P9: e.g. a nosuid,nodev /tmp)."""
    f_flag = os.statvfs(path).f_flag
    flags = 0
    for st_bit, ms_bit in _LOCKED:
        if f_flag & st_bit:
            flags |= ms_bit
    return flags


def make_readonly(path: str, *, recursive: bool = True) -> None:
    """Remount the mount at ``path`` read-only, with its locked flags (and, on kernels with
    mount_setattr, every mount below it too)."""
    if recursive:
        try:
            mount_setattr(path, MOUNT_ATTR_RDONLY)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOSYS, errno.EINVAL):
                raise
    mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path))


class RootfsPlan:
    """What G mounts; built on the host side, used after the fork."""

    __slots__ = (
        "copy_dir",
        "cwd",
        "etc_files",
        "lower",
        "merged",
        "mode",
        "own_netns",
        "tty_fd",
        "upper",
        "volumes",
        "work",
    )

    def __init__(
        self,
        *,
        mode: str,
        lower: str,
        upper: str = "",
        work: str = "",
        merged: str = "",
        copy_dir: str = "",
        volumes: list[Volume] | None = None,
        etc_files: list[tuple[str, str]] | None = None,
        own_netns: bool = True,
        cwd: str = "/",
        tty_fd: int | None = None,
    ) -> None:
        self.mode = mode  # "overlay" | "copy" | "direct"
        self.lower = lower
        self.upper = upper
        self.work = work
        self.merged = merged
        self.copy_dir = copy_dir
        self.volumes = volumes or []
        self.etc_files = etc_files or []
        self.own_netns = own_netns
        self.cwd = cwd
        self.tty_fd = tty_fd


def _step(what: str, exc: OSError, check_id: str | None = None) -> SetupError:
    name = errno.errorcode.get(exc.errno or 0, "?")
    text = exc.strerror or str(exc)
    return SetupError(f"{what}: {text} ({name})", check_id)


def mount_rootfs(plan: RootfsPlan) -> tuple[str, str | None]:
    """Make the container's root a mount point; returns (its path, a warning or None)."""
    warning = None
    if plan.mode == "overlay":
        data = f"lowerdir={plan.lower},upperdir={plan.upper},workdir={plan.work},userxattr"
        try:
            mount("overlay", plan.merged, "overlay", 0, data)
            return plan.merged, None
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EPERM, errno.ENODEV, errno.ENOTSUP):
                raise _step(f"mount overlay on {plan.merged}", exc) from exc
            warning = (
                f"native rootless overlay is not available ({os.strerror(exc.errno or 0)}; "
                "needs Linux >= 5.11): using a private copy of the image instead"
            )
            plan.mode = "copy"
    if plan.mode == "copy":
        _copy_rootfs(plan.lower, plan.copy_dir)
        root = plan.copy_dir
    else:
        root = plan.lower
    try:
        mount(root, root, None, MS_BIND | MS_REC)
    except OSError as exc:
        raise _step(f"bind the rootfs {root}", exc) from exc
    return root, warning


def _copy_rootfs(lower: str, dest: str) -> None:
    marker = os.path.join(dest, ".rootless-copied")
    if os.path.exists(marker):
        return
    os.makedirs(dest, exist_ok=True)
    argv = ["cp", "-a", "--reflink=auto", os.path.join(lower, "."), dest]
    pid = os.posix_spawnp("cp", argv, os.environ)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SetupError(f"copying the image rootfs {lower} to {dest} failed", "overlay-mount")
    os.close(os.open(marker, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))


def _mount_at(
    root_fd: int,
    path: str,
    source: str | None,
    fstype: str | None,
    flags: int = 0,
    *,
    data: str | None = None,
    create: str = "dir",
) -> None:
    fd, _ = open_in_root(root_fd, path, create=create)
    try:
        mount(source, fd_path(fd), fstype, flags, data)
    finally:
        os.close(fd)


def _mount_proc_sys(root: str, root_fd: int, plan: RootfsPlan) -> None:
    nodev = MS_NOSUID | MS_NODEV | MS_NOEXEC
    try:
        _mount_at(root_fd, "/proc", "proc", "proc", nodev)
    except OSError as exc:
        raise _step(
            "mount proc (a masked or over-mounted /proc, as inside another container, "
            "forbids a new proc instance)",
            exc,
            "host-environment",
        ) from exc
    sys_done = False
    if plan.own_netns:
        try:
            _mount_at(root_fd, "/sys", "sysfs", "sysfs", nodev | MS_RDONLY)
            sys_done = True
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EACCES):
                raise _step("mount sysfs", exc) from exc
    if not sys_done:  # crun's fallback: a read-only rbind of the host's /sys (P21)
        fd, rel = open_in_root(root_fd, "/sys", create="dir")
        try:
            mount("/sys", fd_path(fd), None, MS_BIND | MS_REC)
        except OSError as exc:
            raise _step("bind /sys", exc, "host-environment") from exc
        finally:
            os.close(fd)
        make_readonly(os.path.join(root, rel))


def _mount_dev(root_fd: int, plan: RootfsPlan) -> None:
    try:
        _mount_at(
            root_fd,
            "/dev",
            "tmpfs",
            "tmpfs",
            MS_NOSUID | MS_STRICTATIME,
            data="mode=755,size=65536k",
        )
    except OSError as exc:
        raise _step("mount tmpfs on /dev", exc) from exc
    # the new tmpfs, pinned: every path below goes through this descriptor, so a /dev that
    # is a symlink in the image cannot redirect a mount
    dev_fd, _ = open_in_root(root_fd, "/dev")
    dev = fd_path(dev_fd)
    try:
        for name in DEVICES:
            os.close(os.open(name, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o666, dir_fd=dev_fd))
            try:
                mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND)
            except OSError as exc:
                raise _step(f"bind /dev/{name}", exc) from exc
        for name, target in DEV_LINKS:
            os.symlink(target, name, dir_fd=dev_fd)
        for sub in ("pts", "shm", "mqueue"):
            os.mkdir(sub, 0o755, dir_fd=dev_fd)
        if plan.tty_fd is not None:
            os.close(
                os.open("console", os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600, dir_fd=dev_fd)
            )
            # by path: the descriptor's mount belongs to the namespace it was opened in,
            # and bind mounts from another namespace fail with EINVAL
            pts = os.readlink(fd_path(plan.tty_fd))
            mount(pts, f"{dev}/console", None, MS_BIND)
        try:
            # no gid=5: gid 5 may not be mapped (crun adds it only when running as real root)
            mount(
                "devpts",
                f"{dev}/pts",
                "devpts",
                MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620",
            )
            mount(
                "shm",
                f"{dev}/shm",
                "tmpfs",
                MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=1777,size=65536k",
            )
            mount("mqueue", f"{dev}/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError as exc:
            raise _step("mount /dev/pts, /dev/shm or /dev/mqueue", exc) from exc
    finally:
        os.close(dev_fd)


def _mask_paths(root: str, root_fd: int) -> None:
    for path in MASKED_PATHS:
        try:
            fd, _ = open_in_root(root_fd, path)
        except OSError:
            continue  # absent on this kernel
        try:
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                mount("tmpfs", fd_path(fd), "tmpfs", MS_RDONLY, "size=0k")
            else:
                mount("/dev/null", fd_path(fd), None, MS_BIND)
        except OSError as exc:
            raise _step(f"mask {path}", exc) from exc
        finally:
            os.close(fd)
    for path in READONLY_PATHS:
        try:
            fd, rel = open_in_root(root_fd, path)
        except OSError:
            continue
        try:
            mount(fd_path(fd), fd_path(fd), None, MS_BIND | MS_REC)
        finally:
            os.close(fd)
        target = os.path.join(root, rel)
        try:
            make_readonly(target)
        except OSError as exc:
            raise _step(f"make {path} read-only", exc) from exc


def _bind_files(root: str, root_fd: int, plan: RootfsPlan) -> None:
    for target, source in plan.etc_files:
        try:
            _mount_at(root_fd, target, source, None, MS_BIND, create="file")
        except OSError as exc:
            raise _step(f"bind the generated {target}", exc) from exc


def _mount_volumes(root: str, root_fd: int, plan: RootfsPlan) -> None:
    for vol in plan.volumes:
        try:
            src = os.open(vol.source, os.O_PATH | os.O_CLOEXEC)
        except OSError as exc:
            raise _step(f"open volume source {vol.source}", exc) from exc
        try:
            kind = "dir" if stat.S_ISDIR(os.fstat(src).st_mode) else "file"
            try:
                fd, rel = open_in_root(root_fd, vol.target, create=kind)
            except OSError as exc:
                raise _step(f"create the mount point {vol.target}", exc) from exc
            try:
                mount(fd_path(src), fd_path(fd), None, MS_BIND | MS_REC)
            except OSError as exc:
                raise _step(f"bind {vol.source} on {vol.target}", exc) from exc
            finally:
                os.close(fd)
        finally:
            os.close(src)
        if vol.readonly:
            try:
                make_readonly(os.path.join(root, rel))
            except OSError as exc:
                raise _step(f"make the volume {vol.target} read-only", exc) from exc


def build(plan: RootfsPlan) -> tuple[str, str | None]:
    """Everything before ``pivot_root``; returns (new root path, warning or None)."""
    try:
        mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as exc:
        raise _step("make / private", exc) from exc
    root, warning = mount_rootfs(plan)
    root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _mount_proc_sys(root, root_fd, plan)
        _mount_dev(root_fd, plan)
        _mask_paths(root, root_fd)
        _bind_files(root, root_fd, plan)
        _mount_volumes(root, root_fd, plan)
        if plan.cwd not in ("", "/"):
            try:
                os.close(open_in_root(root_fd, plan.cwd, create="dir")[0])
            except OSError as exc:
                raise _step(f"create the working directory {plan.cwd}", exc) from exc
    finally:
        os.close(root_fd)
    return root, warning


def enter(root: str) -> None:
    """``pivot_root`` into ``root`` and drop the old root (runc's ``pivot_root(".", ".")``)."""
    os.chdir(root)
    try:
        pivot_root(".", ".")
        umount2(".", MNT_DETACH)
    except OSError as exc:
        raise _step("pivot_root into the container rootfs", exc) from exc
    os.chdir("/")
