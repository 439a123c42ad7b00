"""The host as the checks see it: files under a root, identity, environment, commands, probes.

Checks never touch ``os``/``subprocess`` directly; they read the machine through a
:class:`Host`. :class:`RealHost` is this machine; :class:`rootless.doctor.snapshot.SnapshotHost`
is a directory tree plus ``host.toml`` (used by the tests and the golden snapshots).

Paths given to a host are absolute host paths (``/etc/subuid``); a host maps them onto its
root. Reading refuses what a check cannot judge sensibly: files larger than
:data:`MAX_FILE_BYTES`, binary data, undecodable text, unreadable files. Those raise
:class:`HostFileError`, whose message is written for the user (it ends up in a finding).
"""

from __future__ import annotations

import contextlib
import grp
import os
import posixpath
import pwd
import stat as stat_mod
import subprocess
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from rootless.engine.userns import MapPlan

#: larger files are refused (no host file a check reads is anywhere near this size)
MAX_FILE_BYTES = 4 * 1024 * 1024


class HostFileError(Exception):
    """A host file exists but cannot be used (unreadable, binary, huge, not UTF-8)."""

    def __init__(self, path: str, reason: str) -> None:
        # reasons read as a predicate: "/etc/subuid is not readable (permission denied)"
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


class StrictHostError(BaseException):
    """A check asked a test host for something its snapshot does not script.

    Deliberately not an ``Exception``: the runner turns exceptions into ``error`` findings,
    but this one must fail the test that built the host.
    """


# --------------------------------------------------------------------------------------
# Facts a host returns


class StatInfo(NamedTuple):
    mode: int
    uid: int
    gid: int
    size: int = 0
    mtime: float = 0.0

    @property
    def perms(self) -> int:
        return stat_mod.S_IMODE(self.mode)

    @property
    def is_dir(self) -> bool:
        return stat_mod.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return stat_mod.S_ISREG(self.mode)

    @property
    def is_char_device(self) -> bool:
        return stat_mod.S_ISCHR(self.mode)

    @property
    def is_setuid(self) -> bool:
        return bool(self.mode & stat_mod.S_ISUID)

    @property
    def is_setgid(self) -> bool:
        return bool(self.mode & stat_mod.S_ISGID)


def mode_allows(st: StatInfo, uid: int, gids: Sequence[int], want: int) -> bool:
    """Classic permission bits check (no ACLs): may ``uid``/``gids`` access with ``want``
    (a mask of ``os.R_OK | os.W_OK | os.X_OK``)?"""
    if uid == 0:
        if want & os.X_OK and not st.is_dir:
            return bool(st.mode & 0o111)
        return True
    if st.uid == uid:
        bits = (st.mode >> 6) & 7
    elif st.gid in gids:
        bits = (st.mode >> 3) & 7
    else:
        bits = st.mode & 7
    return (bits & want) == want


class Mount(NamedTuple):
    """One line of /proc/self/mountinfo."""

    mount_id: int
    parent_id: int
    root: str
    mountpoint: str
    options: frozenset[str]
    optional: tuple[str, ...]
    fstype: str
    source: str
    super_options: frozenset[str]

    @property
    def shared(self) -> bool:
        return any(o.startswith("shared:") for o in self.optional)

    def has_option(self, name: str) -> bool:
        return name in self.options or name in self.super_options


def _unescape_mount(text: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1 : i + 4].isdigit() and len(text[i + 1 : i + 4]) == 3:
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> tuple[Mount, ...]:
    """Parse /proc/self/mountinfo; malformed lines are skipped."""
    mounts: list[Mount] = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        sep = fields.index("-")
        if sep < 6 or len(fields) < sep + 3:
            continue
        try:
            mount_id, parent_id = int(fields[0]), int(fields[1])
        except ValueError:
            continue
        mounts.append(
            Mount(
                mount_id=mount_id,
                parent_id=parent_id,
                root=_unescape_mount(fields[3]),
                mountpoint=_unescape_mount(fields[4]),
                options=frozenset(fields[5].split(",")),
                optional=tuple(fields[6:sep]),
                fstype=fields[sep + 1],
                source=_unescape_mount(fields[sep + 2]),
                super_options=frozenset(fields[sep + 3].split(","))
                if len(fields) > sep + 3
                else frozenset(),
            )
        )
    return tuple(mounts)


def mount_for(mounts: Sequence[Mount], path: str) -> Mount | None:
    """The mount a path lives on: the longest mount point that is a prefix (last one wins)."""
    path = posixpath.normpath(path)
    best: Mount | None = None
    for m in mounts:
        mp = m.mountpoint
        inside = mp in (path, "/") or path.startswith(mp.rstrip("/") + "/")
        if inside and (best is None or len(mp) >= len(best.mountpoint)):
            best = m
    return best


class Account(NamedTuple):
    name: str
    uid: int
    gid: int
    home: str
    shell: str = ""


class GroupEntry(NamedTuple):
    name: str
    gid: int
    members: tuple[str, ...] = ()


def parse_passwd(text: str) -> tuple[Account, ...]:
    accounts: list[Account] = []
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) < 7 or line.startswith("#"):
            continue
        try:
            accounts.append(Account(parts[0], int(parts[2]), int(parts[3]), parts[5], parts[6]))
        except ValueError:
            continue
    return tuple(accounts)


def parse_group(text: str) -> tuple[GroupEntry, ...]:
    groups: list[GroupEntry] = []
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) < 4 or line.startswith("#"):
            continue
        try:
            members = tuple(m for m in parts[3].split(",") if m)
            groups.append(GroupEntry(parts[0], int(parts[2]), members))
        except ValueError:
            continue
    return tuple(groups)


class ProcessInfo(NamedTuple):
    pid: int
    uid: int
    name: str
    #: seconds since the epoch
    start_time: float
    cmdline: tuple[str, ...] = ()


class CommandResult(NamedTuple):
    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


class ProbeResult(NamedTuple):
    """What an active probe saw. ``error`` is the failing tool's message, verbatim."""

    ok: bool
    output: str = ""
    error: str = ""
    #: the doctor check that explains a mapping failure (from the engine's MappingError)
    check_id: str | None = None
    #: False when the namespace got a single-id mapping instead of the full ranges
    full_mapping: bool | None = None
    notes: tuple[str, ...] = ()


class NamespaceProbe(NamedTuple):
    """The three parts of the namespace probe (one process does all of them)."""

    userns: ProbeResult
    overlay: ProbeResult | None
    tun: ProbeResult


def decode_text(path: str, data: bytes) -> str:
    """Bytes of a text file -> str, or HostFileError for binary / non-UTF-8 data."""
    if b"\x00" in data:
        raise HostFileError(path, "contains binary data (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HostFileError(
            path, f"is not valid UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
        ) from exc


# --------------------------------------------------------------------------------------
# The protocol


class Host(Protocol):
    """Everything a check may learn about (or try on) a machine."""

    #: the directory host paths are resolved under ("/" for this machine)
    root: str
    env: Mapping[str, str]
    uid: int
    gid: int
    user: str
    home: str
    #: all group ids of the user (primary included)
    groups: tuple[int, ...]
    #: True when root checks another user (``--user NAME``): env and probes are not theirs
    impersonated: bool

    def read_bytes(self, path: str, *, limit: int = MAX_FILE_BYTES) -> bytes | None:
        """Contents of a file, None if it does not exist; HostFileError if unusable."""
        ...

    def read_text(self, path: str, *, limit: int = MAX_FILE_BYTES) -> str | None:
        """Contents of a text file, None if it does not exist; HostFileError if unusable."""
        ...

    def stat(self, path: str) -> StatInfo | None:
        """stat() following symlinks; None if the path does not exist."""
        ...

    def exists(self, path: str) -> bool: ...

    def listdir(self, path: str) -> list[str]:
        """Sorted names in a directory; [] if it does not exist or is not a directory."""
        ...

    def getxattr(self, path: str, name: str) -> bytes | None: ...

    def realpath(self, path: str) -> str: ...

    def access(self, path: str, want: int) -> bool:
        """May the checked user access ``path`` with ``want`` (os.R_OK | os.W_OK | os.X_OK)?"""
        ...

    def which(self, name: str) -> str | None:
        """Full path of an executable found on the user's PATH."""
        ...

    def run(self, argv: Sequence[str], *, timeout: float = 10.0) -> CommandResult: ...

    def mounts(self) -> tuple[Mount, ...]: ...

    def accounts(self) -> tuple[Account, ...]: ...

    def group_entries(self) -> tuple[GroupEntry, ...]: ...

    def process(self, pid: int) -> ProcessInfo | None: ...

    def processes(self) -> tuple[ProcessInfo, ...]: ...

    def probe_blocker(self) -> str | None:
        """Why active probes cannot run as the checked user here (None: they can)."""
        ...

    def probe_namespace(
        self, plan: MapPlan, overlay_dir: str | None, *, timeout: float
    ) -> NamespaceProbe:
        """Create a user namespace mapped per ``plan`` (as podman does) and, inside it, read
        back uid_map/gid_map, mount overlay on a scratch dir under ``overlay_dir`` (in a new
        mount namespace) and create a tap device on /dev/net/tun (in a new network namespace).
        """
        ...


# --------------------------------------------------------------------------------------
# Shared helpers for implementations


def host_path_join(root: str, path: str) -> str:
    """Map an absolute host path onto ``root`` (never escaping it)."""
    norm = posixpath.normpath("/" + path.lstrip("/"))
    return posixpath.join(root, norm.lstrip("/")) if norm != "/" else root


def which_on(host: Host, name: str) -> str | None:
    """PATH lookup through ``host.stat``/``host.access`` (works for every host)."""
    if "/" in name:
        return name if host.exists(name) else None
    for directory in host.env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        if not directory.startswith("/"):
            continue
        candidate = posixpath.join(directory, name)
        st = host.stat(candidate)
        if st is not None and not st.is_dir and host.access(candidate, os.X_OK):
            return candidate
    return None


def _human(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


def read_limited(path: str, display: str, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    try:
        with open(path, "rb") as fh:
            # small reads: procfs/sysfs files refuse (ENOMEM) one read of `limit` bytes
            while size <= limit:
                chunk = fh.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except IsADirectoryError as exc:
        raise HostFileError(display, "is a directory, expected a file") from exc
    except PermissionError as exc:
        raise HostFileError(display, "is not readable (permission denied)") from exc
    except OSError as exc:
        raise HostFileError(display, f"cannot be read: {exc.strerror or exc}") from exc
    if size > limit:
        raise HostFileError(display, f"is larger than {_human(limit)}; refusing to parse it")
    return b"".join(chunks)


# --------------------------------------------------------------------------------------
# This machine


# The namespace probe: runs as root of a fresh user namespace in `python -I -S` (stdlib only,
# and only cheap modules: no json, re or shutil - every millisecond of it is start-up). It
# prints `key=value` lines; each part catches its own failure, so one broken part does not
# hide the others.
def _make_scratch(parent: str) -> str:
    """``tempfile.mkdtemp`` without its imports (random, shutil: ~20 ms per doctor run)."""
    for _ in range(100):
        path = os.path.join(parent, ".rootless-doctor-overlay-" + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free scratch directory name in {parent}")


def _remove_scratch(path: str) -> None:
    """Remove the probe's scratch tree (its own files; symlinks are unlinked, never
    followed); errors are ignored, like ``shutil.rmtree(ignore_errors=True)``."""
    for top, dirs, files in os.walk(path, topdown=False):
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(top, name))
        for name in dirs:
            sub = os.path.join(top, name)
            with contextlib.suppress(OSError):
                if os.path.islink(sub):
                    os.unlink(sub)
                else:
                    os.rmdir(sub)
    with contextlib.suppress(OSError):
        os.rmdir(path)


_NAMESPACE_PROBE = r"""
import ctypes, fcntl, os, stat, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.unshare.argtypes = [ctypes.c_int]
class Failed(Exception):
    pass
def check(rc, step):
    if rc != 0:
        e = ctypes.get_errno()
        raise Failed("%s: %s (errno %d)" % (step, os.strerror(e), e))
out = []
for name in ("uid_map", "gid_map"):
    with open("/proc/self/" + name) as fh:
        out.append(name + "=" + "|".join(" ".join(l.split()) for l in fh.read().splitlines()))

def overlay(base):
    check(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
    check(libc.mount(None, b"/", None, 0x4000 | 0x40000, None), "make / private")
    d = {n: os.path.join(base, n) for n in ("lower", "upper", "work", "merged")}
    for p in d.values():
        os.mkdir(p)
    for n in ("keep", "gone"):
        with open(os.path.join(d["lower"], n), "w") as fh:
            fh.write(n)
    opts = "lowerdir=%s,upperdir=%s,workdir=%s" % (d["lower"], d["upper"], d["work"])
    check(libc.mount(b"overlay", d["merged"].encode(), b"overlay", 0, opts.encode()), "mount -t overlay on " + base)
    try:
        with open(os.path.join(d["merged"], "keep"), "a") as fh:
            fh.write("+")
        if not os.path.exists(os.path.join(d["upper"], "keep")):
            raise Failed("copy-up did not reach the upper directory")
        os.unlink(os.path.join(d["merged"], "gone"))
        if not stat.S_ISCHR(os.lstat(os.path.join(d["upper"], "gone")).st_mode):
            raise Failed("deleting a lower file did not leave a whiteout")
    finally:
        libc.umount2(d["merged"].encode(), 2)
        for n in os.listdir(d["work"]):
            os.chmod(os.path.join(d["work"], n), 0o700)
    return "overlay mounted; copy-up and whiteouts work"

def tun():
    check(libc.unshare(0x40000000), "unshare(CLONE_NEWNET)")
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
    except OSError as e:
        raise Failed("open /dev/net/tun: %s (errno %d)" % (e.strerror, e.errno))
    try:
        fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", b"rootless0", 0x0002 | 0x1000))
    except OSError as e:
        raise Failed("create a tap device (TUNSETIFF): %s (errno %d)" % (e.strerror, e.errno))
    return "opened /dev/net/tun and created a tap device"

def run(name, fn, *args):
    try:
        result = "ok:" + fn(*args)
    except Failed as e:
        result = "fail:" + str(e)
    except OSError as e:
        result = "fail:%s: %s" % (e.filename or name, e.strerror)
    out.append(name + "=" + " ".join(result.split()))

if sys.argv[1]:
    run("overlay", overlay, sys.argv[1])
run("tun", tun)
sys.stdout.write("\n".join(out) + "\n")
"""


def parse_namespace_probe(output: str, notes: tuple[str, ...], full: bool | None) -> NamespaceProbe:
    """Turn the probe program's `key=value` lines into the three results."""
    data = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    if "uid_map" not in data:
        broken = ProbeResult(False, error=f"the probe printed no result: {output.strip()[:200]!r}")
        return NamespaceProbe(broken, broken, broken)
    maps = (
        data["uid_map"].replace("|", "\n")
        + "\n--\n"
        + data.get("gid_map", "").replace("|", "\n")
        + "\n"
    )
    userns = ProbeResult(True, output=maps, full_mapping=full, notes=notes)

    def part(name: str) -> ProbeResult | None:
        item = data.get(name)
        if item is None:
            return None
        ok, _, message = item.partition(":")
        if ok == "ok":
            return ProbeResult(True, output=message, full_mapping=full)
        return ProbeResult(False, error=message, full_mapping=full)

    tun = part("tun") or ProbeResult(False, error="the tun probe did not run")
    return NamespaceProbe(userns, part("overlay"), tun)


class RealHost:
    """This machine, as the current user (or, for root, as ``user`` with read-only checks)."""

    def __init__(self, user: str | None = None, *, env: Mapping[str, str] | None = None) -> None:
        self.root = "/"
        self.env: Mapping[str, str]
        self.groups: tuple[int, ...]
        if user is None:
            self.uid, self.gid = os.getuid(), os.getgid()
            self.env = dict(os.environ if env is None else env)
            try:
                pw = pwd.getpwuid(self.uid)
                self.user, self.home = pw.pw_name, pw.pw_dir
            except KeyError:
                self.user = str(self.uid)
                self.home = self.env.get("HOME", "/")
            self.groups = tuple(dict.fromkeys([self.gid, *os.getgroups()]))
            self.impersonated = False
        else:
            pw = pwd.getpwnam(user)  # KeyError: the CLI turns it into a usage error
            self.uid, self.gid, self.user, self.home = pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir
            self.groups = tuple(dict.fromkeys([pw.pw_gid, *os.getgrouplist(pw.pw_name, pw.pw_gid)]))
            self.impersonated = self.uid != os.getuid()
            base = dict(os.environ if env is None else env)
            self.env = {
                "HOME": pw.pw_dir,
                "USER": pw.pw_name,
                "LOGNAME": pw.pw_name,
                "PATH": base.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            }
            runtime = f"/run/user/{self.uid}"
            if os.path.isdir(runtime):
                self.env["XDG_RUNTIME_DIR"] = runtime

    # files ------------------------------------------------------------------------
    def read_bytes(self, path: str, *, limit: int = MAX_FILE_BYTES) -> bytes | None:
        return read_limited(path, path, limit)

    def read_text(self, path: str, *, limit: int = MAX_FILE_BYTES) -> str | None:
        data = self.read_bytes(path, limit=limit)
        return None if data is None else decode_text(path, data)

    def stat(self, path: str) -> StatInfo | None:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            return None
        return StatInfo(st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime)

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []

    def getxattr(self, path: str, name: str) -> bytes | None:
        try:
            return os.getxattr(path, name)
        except OSError:
            return None

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def access(self, path: str, want: int) -> bool:
        if not self.impersonated:
            return os.access(path, want)
        st = self.stat(path)
        return st is not None and mode_allows(st, self.uid, self.groups, want)

    def which(self, name: str) -> str | None:
        return which_on(self, name)

    # commands ---------------------------------------------------------------------
    def run(self, argv: Sequence[str], *, timeout: float = 10.0) -> CommandResult:
        try:
            res = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                env=dict(self.env),
                check=False,
            )
        except FileNotFoundError:
            return CommandResult(tuple(argv), 127, "", f"{argv[0]}: command not found")
        except PermissionError as exc:
            return CommandResult(tuple(argv), 126, "", f"{argv[0]}: {exc.strerror}")
        except subprocess.TimeoutExpired:
            return CommandResult(tuple(argv), -9, "", f"timed out after {timeout:g}s", True)
        return CommandResult(tuple(argv), res.returncode, res.stdout, res.stderr)

    # system databases and processes ---------------------------------------------------
    def mounts(self) -> tuple[Mount, ...]:
        text = self.read_text("/proc/self/mountinfo")
        return parse_mountinfo(text or "")

    def accounts(self) -> tuple[Account, ...]:
        return tuple(
            Account(p.pw_name, p.pw_uid, p.pw_gid, p.pw_dir, p.pw_shell) for p in pwd.getpwall()
        )

    def group_entries(self) -> tuple[GroupEntry, ...]:
        return tuple(GroupEntry(g.gr_name, g.gr_gid, tuple(g.gr_mem)) for g in grp.getgrall())

    def process(self, pid: int) -> ProcessInfo | None:
        # One pid: read /proc directly (what psutil does) - importing psutil costs ~40 ms of
        # start-up, and this runs on every host with a podman pause process.
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
            with open(f"/proc/{pid}/status", "rb") as fh:
                status = fh.read().decode(errors="replace")
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = tuple(a.decode(errors="replace") for a in fh.read().split(b"\0") if a)
            with open("/proc/stat", "rb") as fh:
                btime = next(
                    int(ln.split()[1]) for ln in fh.read().splitlines() if ln.startswith(b"btime ")
                )
        except (OSError, StopIteration, ValueError, IndexError):
            return None
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        uid_line = next((ln for ln in status.splitlines() if ln.startswith("Uid:")), "Uid: -1")
        try:
            start = btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")
            uid = int(uid_line.split()[1])
        except (IndexError, ValueError):
            return None
        return ProcessInfo(pid, uid, name, start, cmdline)

    def processes(self) -> tuple[ProcessInfo, ...]:
        import psutil  # type: ignore[import-untyped]  # noqa: PLC0415 - only when a check asks about processes

        out: list[ProcessInfo] = []
        for p in psutil.process_iter(["pid", "name", "uids", "create_time"]):
            info = p.info
            if info.get("uids") is None or info.get("create_time") is None:
                continue
            out.append(
                ProcessInfo(info["pid"], info["uids"].real, info["name"] or "", info["create_time"])
            )
        return tuple(out)

    # probes -----------------------------------------------------------------------
    def probe_blocker(self) -> str | None:
        if self.impersonated:
            return (
                f"probes must run as {self.user} itself; log in as {self.user} "
                f"(e.g. `machinectl shell {self.user}@` or ssh) and run `rootless doctor`"
            )
        return None

    def _spawn(
        self, argv: Sequence[str], plan: MapPlan, timeout: float
    ) -> tuple[ProbeResult, bool]:
        """(result, mapped): mapped is False when the namespace itself could not be set up."""
        from rootless.engine.userns import MappingError, spawn_in_userns  # noqa: PLC0415 - probes only

        try:
            res = spawn_in_userns(argv, plan=plan, timeout=timeout)
        except MappingError as exc:
            return ProbeResult(False, error=exc.message, check_id=exc.check_id), False
        except subprocess.TimeoutExpired:
            return ProbeResult(False, error=f"the probe did not finish within {timeout:g}s"), False
        except OSError as exc:
            return ProbeResult(False, error=f"cannot start the probe: {exc}"), False
        notes: tuple[str, ...] = (res.mapping.warning,) if res.mapping.warning else ()
        if res.mapping.helper_stderr.strip():
            notes += (res.mapping.helper_stderr.strip(),)
        if res.returncode != 0:
            message = (res.stdout.strip() + "\n" + res.stderr.strip()).strip()
            return ProbeResult(
                False,
                output=res.stdout,
                error=message or f"exit status {res.returncode}",
                notes=notes,
            ), True
        return ProbeResult(
            True, output=res.stdout, full_mapping=res.mapping.full, notes=notes
        ), True

    def probe_namespace(
        self, plan: MapPlan, overlay_dir: str | None, *, timeout: float
    ) -> NamespaceProbe:
        from rootless.engine.userns import MapPlan as Plan  # noqa: PLC0415 - probes only

        scratch = ""
        if overlay_dir is not None:
            try:
                scratch = _make_scratch(overlay_dir)
            except OSError as exc:
                failed = ProbeResult(
                    False,
                    error=f"cannot create a scratch directory in {overlay_dir}: {exc.strerror}",
                )
                inner = self.probe_namespace(plan, None, timeout=timeout)
                return NamespaceProbe(inner.userns, failed, inner.tun)
        try:
            argv = ["--python", _NAMESPACE_PROBE, scratch]
            result, mapped = self._spawn(argv, plan, timeout)
            if not mapped and plan.mode == "full":
                # the full mapping failed: report that, and still probe overlay/tun with one id
                retry, _ = self._spawn(argv, Plan(ids=plan.ids, mode="single"), timeout)
                if retry.ok:
                    inner = parse_namespace_probe(retry.output, (), False)
                    note = ("ran with a single-id mapping: the full mapping failed",)
                    overlay = inner.overlay._replace(notes=note) if inner.overlay else None
                    return NamespaceProbe(result, overlay, inner.tun._replace(notes=note))
            if not result.ok:
                return NamespaceProbe(result, result if scratch else None, result)
            probe = parse_namespace_probe(result.output, result.notes, result.full_mapping)
            return probe if scratch else NamespaceProbe(probe.userns, None, probe.tun)
        finally:
            if scratch:
                _remove_scratch(scratch)
