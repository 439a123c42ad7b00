"""Linux namespace primitives over ctypes, and entering a user namespace the way podman does.

Python 3.11 has no ``os.unshare``, ``mount``, ``umount2`` or ``pivot_root``; this module
wraps the libc calls and raises :class:`OSError` with the real errno and the failing step.

:func:`fork_in_userns` is the one choreography every rootless operation shares:

1. fork a child; the child ``unshare(CLONE_NEWUSER | extra)`` and tells the parent;
2. the parent writes the maps: ``newgidmap`` then ``newuidmap`` with the user's full
   sub-id ranges (exactly the argv podman uses), or, without ranges or helpers, a single
   mapping (``setgroups`` deny, then ``gid_map``, then ``uid_map``);
3. the child, now root in its namespace, runs the given function and exits with its code.

``unshare(CLONE_NEWUSER)`` refuses multi-threaded callers, so the work always happens in a
freshly forked child, and :func:`fork_in_userns` refuses to fork while other threads run.
Code that must run from a threaded process (the doctor's probes) uses
:func:`spawn_in_userns`, which runs a command through ``subprocess`` instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import sys

from rootless.engine.idmap import IdMapping, Record, UserIds, helper_argv, lookup_user_ids
from rootless.errors import RootlessError

# ``rootless engine run`` imports this module on its hot path: heavy modules (subprocess,
# traceback, shutil, typing) are imported only where they are used. mypy treats any name
# TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Literal

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MS_SHARED = 0x100000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000

MNT_DETACH = 0x2

PR_SET_PDEATHSIG = 1
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

# pivot_root has no libc wrapper; the syscall number differs by architecture.
_SYS_PIVOT_ROOT = {
    "x86_64": 155,
    "aarch64": 41,
    "arm64": 41,
    "riscv64": 41,
    "ppc64le": 203,
    "s390x": 217,
    "i686": 217,
    "armv7l": 218,
}

_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL:
    """The C library, loaded once, with errno capture and declared argument types."""
    global _libc  # noqa: PLW0603 - a process-wide handle to libc, loaded lazily
    if _libc is None:
        try:
            lib = ctypes.CDLL("libc.so.6", use_errno=True)
        except OSError:  # not glibc: ask the loader (slow: runs ldconfig)
            from ctypes import util as ctypes_util  # noqa: PLC0415

            lib = ctypes.CDLL(ctypes_util.find_library("c") or None, use_errno=True)
        lib.unshare.argtypes = [ctypes.c_int]
        lib.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        ]
        lib.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        lib.setns.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        lib.prctl.argtypes = [
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
        ]
        lib.syscall.restype = ctypes.c_long
        lib.socket.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
        _libc = lib
    return _libc


def _check(result: int, step: str, path: str | None = None) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{step}: {os.strerror(err)}", path)


def _b(value: str | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def unshare(flags: int) -> None:
    _check(libc().unshare(flags), "unshare")


def setns(fd: int, nstype: int = 0) -> None:
    _check(libc().setns(fd, nstype), "setns")


def mount(
    source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None
) -> None:
    _check(
        libc().mount(_b(source), _b(target), _b(fstype), flags, _b(data)),
        f"mount {fstype or 'bind'} on {target}",
        target,
    )


def umount2(target: str, flags: int = 0) -> None:
    _check(libc().umount2(_b(target), flags), f"umount {target}", target)


def pivot_root(new_root: str, put_old: str) -> None:
    machine = os.uname().machine
    number = _SYS_PIVOT_ROOT.get(machine)
    if number is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unknown syscall number on {machine}")
    _check(int(libc().syscall(number, _b(new_root), _b(put_old))), "pivot_root", new_root)


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(libc().sethostname(raw, len(raw)), "sethostname")


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    result = int(libc().prctl(option, arg2, arg3, arg4, arg5))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}): {os.strerror(err)}")
    return result


def last_cap() -> int:
    """The highest capability number the running kernel knows (CAP_LAST_CAP)."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return 40


def drop_bounding_caps(keep: Iterable[int]) -> None:
    """Drop every capability not in ``keep`` from the bounding set (PR_CAPBSET_DROP).

    The caller needs CAP_SETPCAP in its user namespace (root there has it). After
    ``execve`` a root process's permitted and effective sets are this bounding set.
    """
    wanted = set(keep)
    for cap in range(last_cap() + 1):
        if cap not in wanted:
            prctl(PR_CAPBSET_DROP, cap)


_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ_SIZE = 40  # struct ifreq: 16 bytes of name, then a union (flags: a short)


def interface_up(name: str = "lo") -> None:
    """Bring a network interface of the current network namespace up (SIOCSIFFLAGS).

    A new network namespace starts with ``lo`` down; bubblewrap's ``loopback_setup`` does
    the same over netlink. Two ioctls on a throw-away socket, without importing ``socket``.
    """
    lib = libc()
    fd = int(lib.socket(2, 2 | os.O_CLOEXEC, 0))  # AF_INET, SOCK_DGRAM | SOCK_CLOEXEC
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"socket for bringing {name} up: {os.strerror(err)}")
    try:
        ifr = ctypes.create_string_buffer(name.encode()[:15], _IFREQ_SIZE)
        _check(lib.ioctl(fd, _SIOCGIFFLAGS, ifr), f"SIOCGIFFLAGS on {name}")
        flags = int.from_bytes(ifr.raw[16:18], sys.byteorder) | _IFF_UP
        raw = ifr.raw[:16] + flags.to_bytes(2, sys.byteorder) + ifr.raw[18:]
        ifr = ctypes.create_string_buffer(raw, _IFREQ_SIZE)
        _check(lib.ioctl(fd, _SIOCSIFFLAGS, ifr), f"bring {name} up (SIOCSIFFLAGS)")
    finally:
        os.close(fd)


# mount_setattr(2) has the same number on every architecture (new syscalls are unified).
_SYS_MOUNT_SETATTR = 442
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_NOEXEC = 0x8


class _MountAttr(ctypes.Structure):
    _fields_ = (
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    )


def mount_setattr(path: str, attr_set: int, attr_clr: int = 0, *, recursive: bool = True) -> None:
    """Change mount attributes, by default of the whole tree at ``path`` (Linux >= 5.12).

    Unlike a ``MS_REMOUNT`` this reaches sub-mounts too (a read-only volume stays
    read-only below its own mount points). Raises OSError (ENOSYS on older kernels).
    """
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    _check(
        int(
            libc().syscall(
                _SYS_MOUNT_SETATTR,
                AT_FDCWD,
                _b(path),
                flags,
                ctypes.byref(attr),
                ctypes.sizeof(attr),
            )
        ),
        f"mount_setattr on {path}",
        path,
    )


# --------------------------------------------------------------------------------------
# Entering a user namespace


class MappingError(RootlessError):
    """The user namespace could not be created or mapped. ``check_id`` names the doctor check."""


if TYPE_CHECKING:
    MapMode = Literal["auto", "full", "single"]


class NamespaceMapping(Record):
    """What was actually written into uid_map/gid_map, and why."""

    _fields = ("uid_map", "gid_map", "full", "warning", "helper_stderr")
    __slots__ = _fields
    uid_map: tuple[IdMapping, ...]
    gid_map: tuple[IdMapping, ...]
    full: bool
    #: set when the full mapping was wanted but could not be used (single-mapping fallback)
    warning: str | None
    helper_stderr: str

    def __init__(
        self,
        uid_map: tuple[IdMapping, ...],
        gid_map: tuple[IdMapping, ...],
        full: bool,
        warning: str | None = None,
        helper_stderr: str = "",
    ) -> None:
        self._init(uid_map, gid_map, full, warning, helper_stderr)

    @property
    def size(self) -> int:
        return sum(m.size for m in self.uid_map)


class MapPlan:
    """How to map a namespace for a user: computed once, applied to each child."""

    __slots__ = ("ids", "mode", "newgidmap", "newuidmap")

    def __init__(
        self,
        ids: UserIds,
        mode: MapMode = "auto",
        newuidmap: str | None = None,
        newgidmap: str | None = None,
    ) -> None:
        self.ids = ids
        self.mode: MapMode = mode
        self.newuidmap = newuidmap
        self.newgidmap = newgidmap

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, MapPlan)
        return (self.ids, self.mode, self.newuidmap, self.newgidmap) == (
            other.ids,
            other.mode,
            other.newuidmap,
            other.newgidmap,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like a plain dataclass

    def __repr__(self) -> str:
        return (
            f"MapPlan(ids={self.ids!r}, mode={self.mode!r}, newuidmap={self.newuidmap!r}, "
            f"newgidmap={self.newgidmap!r})"
        )

    @classmethod
    def for_current_user(cls, mode: MapMode = "auto", *, path: str | None = None) -> MapPlan:
        return cls(
            ids=lookup_user_ids(),
            mode=mode,
            newuidmap=which("newuidmap", path=path),
            newgidmap=which("newgidmap", path=path),
        )

    def wants_full(self) -> tuple[bool, str | None]:
        """(use the helpers?, why not when not)."""
        if self.mode == "single":
            return False, None
        if not self.ids.subuids or not self.ids.subgids:
            which = "/etc/subuid" if not self.ids.subuids else "/etc/subgid"
            reason = f"no range for user {self.ids.user!r} in {which}"
            return False, reason
        if not self.newuidmap or not self.newgidmap:
            missing = "newuidmap" if not self.newuidmap else "newgidmap"
            return False, (
                f"{missing} is not on $PATH (not installed? package uidmap / shadow-utils)"
            )
        return True, None


def _single_map(pid: int, ids: UserIds) -> tuple[tuple[IdMapping, ...], tuple[IdMapping, ...]]:
    uid_map = (IdMapping(0, ids.uid, 1),)
    gid_map = (IdMapping(0, ids.gid, 1),)
    with open(f"/proc/{pid}/setgroups", "w") as fh:
        fh.write("deny")
    with open(f"/proc/{pid}/gid_map", "w") as fh:
        fh.write(gid_map[0].line() + "\n")
    with open(f"/proc/{pid}/uid_map", "w") as fh:
        fh.write(uid_map[0].line() + "\n")
    return uid_map, gid_map


def which(name: str, *, path: str | None = None) -> str | None:
    """``shutil.which`` for executables, without importing shutil (hot path)."""
    if "/" in name:
        return name if os.access(name, os.X_OK) and not os.path.isdir(name) else None
    search = os.environ.get("PATH", os.defpath) if path is None else path
    for directory in search.split(os.pathsep):
        candidate = os.path.join(directory or ".", name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


class _HelperResult:
    """What a newuidmap/newgidmap run left behind."""

    __slots__ = ("returncode", "stderr")

    def __init__(self, returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = stderr


def _spawn_helper(argv: list[str]) -> tuple[int, int] | _HelperResult:
    """Start a setuid helper with stdin closed and stderr on a pipe: (pid, read end).
    posix_spawn: no subprocess import and no fork of this possibly large process."""
    r, w = os.pipe()
    try:
        pid = os.posix_spawn(
            argv[0],
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, w, 2),
            ],
        )
    except OSError as exc:
        os.close(r)
        return _HelperResult(127, f"cannot run {argv[0]}: {exc.strerror}")
    finally:
        os.close(w)
    return pid, r


def _collect_helper(started: tuple[int, int] | _HelperResult) -> _HelperResult:
    if isinstance(started, _HelperResult):
        return started
    pid, r = started
    try:
        err = read_all(r)
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    return _HelperResult(os.waitstatus_to_exitcode(status), err.decode(errors="replace"))


def write_maps(pid: int, plan: MapPlan) -> NamespaceMapping:
    """Map the user namespace of ``pid`` (which must have just unshared it) per ``plan``.

    With ranges and helpers: ``newgidmap`` and ``newuidmap``, started in crun's order and
    run concurrently (newgidmap with a sub-gid range leaves ``setgroups`` allowed). A helper that fails raises
    :class:`MappingError` with its stderr verbatim: podman fails the same way, so the
    engine reports what podman would hit instead of hiding it. Without ranges or helpers,
    mode ``auto`` falls back to a single mapping and says why in ``warning``.
    """
    full, reason = plan.wants_full()
    if plan.mode == "full" and not full:
        raise MappingError(
            f"cannot map the full sub-id range: {reason}",
            check_id="subid-ranges" if reason and "range" in reason else "uidmap-helpers",
        )
    if full:
        assert plan.newuidmap
        assert plan.newgidmap
        gid_map = plan.ids.gid_mappings()
        uid_map = plan.ids.uid_mappings()
        # started in crun's order, newgidmap then newuidmap, and run concurrently: the two
        # maps are independent files, and each setuid exec costs milliseconds
        gstarted = _spawn_helper(helper_argv(plan.newgidmap, pid, gid_map))
        ustarted = _spawn_helper(helper_argv(plan.newuidmap, pid, uid_map))
        gres = _collect_helper(gstarted)
        ures = _collect_helper(ustarted)
        if gres.returncode != 0:
            raise _helper_error("newgidmap", gres)
        if ures.returncode != 0:
            raise _helper_error("newuidmap", ures)
        return NamespaceMapping(uid_map, gid_map, True, None, gres.stderr + ures.stderr)
    uid_single, gid_single = _single_map(pid, plan.ids)
    warning = None
    if plan.mode == "auto":
        warning = (
            f"using a single-id mapping ({reason}): files owned by other users in images "
            "are squashed to root. Run `rootless doctor subid-ranges` for the fix."
        )
    return NamespaceMapping(uid_single, gid_single, False, warning)


def _helper_error(name: str, res: _HelperResult) -> MappingError:
    stderr = res.stderr.strip() or f"exit status {res.returncode}"
    check = "uidmap-helpers"
    if "includes the user" in stderr or "range" in stderr.lower():
        check = "subid-ranges"
    return MappingError(f"{name} failed: {stderr}", check_id=check)


class Child:
    """A forked child in its own user namespace."""

    __slots__ = ("mapping", "pid")

    def __init__(self, pid: int, mapping: NamespaceMapping) -> None:
        self.pid = pid
        self.mapping = mapping

    def __repr__(self) -> str:
        return f"Child(pid={self.pid!r}, mapping={self.mapping!r})"

    def wait(self) -> int:
        """Wait for the child; its exit code, or 128+N when killed by signal N."""
        while True:
            try:
                _, status = os.waitpid(self.pid, 0)
                break
            except ChildProcessError:
                return 0
            except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                continue
        code = os.waitstatus_to_exitcode(status)
        return 128 - code if code < 0 else code


def read_all(fd: int) -> bytes:
    """Everything readable from ``fd`` until its writers close it."""
    chunks: list[bytes] = []
    while True:
        data = os.read(fd, 65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def fork_in_userns(
    target: Callable[[], int],
    *,
    plan: MapPlan,
    flags: int = 0,
    keep_fds: Sequence[int] = (),
) -> Child:
    """Fork a child that unshares ``CLONE_NEWUSER | flags``, is mapped per ``plan``, then
    calls ``target()`` as root in its namespace and exits with its return value.

    Raises :class:`MappingError` (with the doctor check that explains it) when the
    namespace cannot be created or mapped; the child is reaped in that case.
    ``keep_fds`` are left open in the child (all other inherited fds stay as they are).
    """
    del keep_fds  # documented for callers; fork keeps every inheritable fd already
    threading = sys.modules.get("threading")  # no threading module imported: no threads
    if threading is not None and threading.active_count() > 1:
        raise RuntimeError("fork_in_userns() called with other threads running; join them first")
    r1, w1 = os.pipe()  # child -> parent: b"u" after unshare, or an error text
    r2, w2 = os.pipe()  # parent -> child: b"m" after the maps are written
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(r1)
            os.close(w2)
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            try:
                unshare(CLONE_NEWUSER | flags)
            except OSError as exc:
                os.write(w1, f"E{exc.errno}:{exc.strerror}".encode())
                os._exit(1)
            os.write(w1, b"u")
            os.close(w1)
            if os.read(r2, 1) != b"m":
                os._exit(1)
            os.close(r2)
            with contextlib.suppress(OSError):
                os.setgroups([])  # only allowed when setgroups was not denied
            code = int(target())
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback  # noqa: PLC0415

            traceback.print_exc()
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    os.close(w1)
    os.close(r2)
    try:
        msg = read_all(r1)
        if not msg.startswith(b"u"):
            text = msg.decode(errors="replace")
            err = int(text[1:].split(":", 1)[0]) if text.startswith("E") else 0
            raise unshare_error(err, text.split(":", 1)[-1] if ":" in text else "child exited")
        mapping = write_maps(pid, plan)
        os.write(w2, b"m")
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        raise
    finally:
        os.close(r1)
        os.close(w2)
    return Child(pid, mapping)


def unshare_error(err: int, text: str) -> MappingError:
    """Explain a failed ``unshare(CLONE_NEWUSER)`` by errno, naming the doctor check."""
    explanations = {
        errno.EINVAL: (
            "user namespaces are disabled (CentOS/RHEL 7 needs the kernel argument user_namespace.enable=1 and user.max_user_namespaces > 0)",
            "user-namespaces",
        ),
        errno.ENOSPC: (
            "the user namespace limit is reached (user.max_user_namespaces is 0 or exhausted)",
            "user-namespaces",
        ),
        errno.EPERM: (
            "unprivileged user namespaces are forbidden (kernel.unprivileged_userns_clone=0, a seccomp filter, or running inside a container)",
            "user-namespaces",
        ),
        errno.EACCES: (
            "an LSM denied the user namespace (Ubuntu's apparmor_restrict_unprivileged_userns)",
            "apparmor-userns",
        ),
        errno.EUSERS: ("too many nested user namespaces", "user-namespaces"),
    }
    why, check = explanations.get(err, (text, "user-namespaces"))
    name = errno.errorcode.get(err, "?")
    return MappingError(
        f"cannot create a user namespace: unshare(CLONE_NEWUSER) failed with {name} ({text.strip()}): {why}",
        check_id=check,
    )


# --------------------------------------------------------------------------------------
# The same, for callers that may have threads: a subprocess does the unshare.

# Runs in a fresh interpreter (python -I -S: stdlib only, no site start-up cost): unshare,
# report, wait for the maps, exec argv.
_SPAWN_STUB = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, 9, 0, 0, 0)
if libc.unshare(int(sys.argv[1])) != 0:
    e = ctypes.get_errno()
    os.write(1, b"E%d:%s\n" % (e, os.strerror(e).encode()))
    sys.exit(125)
os.write(1, b"u\n")
if os.read(0, 1) != b"m":
    sys.exit(125)
try:
    os.setgroups([])
except OSError:
    pass
if sys.argv[2] == "--python":  # run Python code in this interpreter: no second start-up
    code, sys.argv = sys.argv[3], ["-c", *sys.argv[4:]]
    exec(compile(code, "<spawn_in_userns>", "exec"), {"__name__": "__main__"})
    sys.exit(0)
os.execvp(sys.argv[2], sys.argv[2:])
"""


class SpawnResult(Record):
    _fields = ("returncode", "stdout", "stderr", "mapping")
    __slots__ = _fields
    returncode: int
    stdout: str
    stderr: str
    mapping: NamespaceMapping

    def __init__(
        self, returncode: int, stdout: str, stderr: str, mapping: NamespaceMapping
    ) -> None:
        self._init(returncode, stdout, stderr, mapping)


def spawn_in_userns(
    argv: Sequence[str], *, plan: MapPlan, flags: int = 0, timeout: float = 30
) -> SpawnResult:
    """Run ``argv`` as root in a new user namespace mapped per ``plan``; thread-safe.

    The command runs in a fresh ``python -I -S`` stub that unshares and execs it, so this works
    from the doctor's worker threads. Raises :class:`MappingError` like :func:`fork_in_userns`.
    The command's stdin is closed. ``argv`` may be ``["--python", code, *args]``: the stub then
    runs that (stdlib-only) Python code itself, with ``sys.argv == ["-c", *args]``, instead of
    exec'ing a second interpreter.
    """
    import subprocess  # noqa: PLC0415

    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _SPAWN_STUB, str(CLONE_NEWUSER | flags), *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin
    assert proc.stdout
    try:
        first = proc.stdout.readline().decode(errors="replace")
        if not first.startswith("u"):
            proc.kill()
            proc.wait()
            body = first.strip()
            err = int(body[1:].split(":", 1)[0]) if body.startswith("E") else 0
            raise unshare_error(err, body.split(":", 1)[-1] if ":" in body else "helper exited")
        mapping = write_maps(proc.pid, plan)
        proc.stdin.write(b"m")
        proc.stdin.flush()
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
        raise
    return SpawnResult(
        proc.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace"), mapping
    )
