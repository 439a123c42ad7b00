"""A host recorded on disk: a ``root/`` tree plus ``host.toml``. Strict, for tests.

``root/`` holds just the files that matter (``etc/os-release``, ``etc/subuid``,
``proc/sys/user/max_user_namespaces``, ...). What git cannot store lives in ``host.toml``::

    description = "CentOS 7 as installed: user namespaces off"

    [user]                      # who runs the doctor
    name = "alice"
    uid = 1000
    gid = 1000
    groups = [1000, 10]         # optional (default: gid + memberships in etc/group)
    impersonated = false        # true: root checking this user with --user

    [env]                       # the process environment
    HOME = "/home/alice"
    PATH = "/usr/local/bin:/usr/bin:/bin"

    [files."/usr/bin/newuidmap"]          # stat facts and xattrs of a path
    mode = 0o755                # permission bits (setuid included)
    uid = 0
    gid = 0
    mtime = 1700000000
    xattrs = { "security.capability" = "AQAAAoAAAAAAAAAAAAAAAAAAAAA=" }   # base64
    type = "char"               # declares a path absent from the tree: file | dir | char
    unreadable = true           # reading it fails with "permission denied"
    link = "/opt/podman/bin/podman"       # realpath() target (a symlink)

    [[commands]]                # the only commands checks may run, with their output
    argv = ["/usr/bin/podman", "--version"]
    stdout = "podman version 4.9.3\\n"
    returncode = 0

    [probes.userns]             # scripted results of the active probes
    ok = true                   # (userns, overlay, tun)
    output = "0 1000 1\\n1 100000 65536\\n--\\n0 1000 1\\n1 100000 65536\\n"

    [[processes]]
    pid = 4242
    uid = 1000
    name = "catatonit"
    start_time = 1700000500.0

Anything a check asks for that the snapshot does not script (a command, a probe, a
process lookup of an unknown pid is fine: it does not exist) raises
:class:`~rootless.doctor.host.StrictHostError`, which fails the test instead of becoming a
finding. :meth:`SnapshotHost.unused` lists scripted commands and probes nobody asked for.
"""

from __future__ import annotations

import base64
import contextlib
import os
import posixpath
import stat as stat_mod
import threading
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .host import (
    MAX_FILE_BYTES,
    Account,
    CommandResult,
    GroupEntry,
    HostFileError,
    Mount,
    NamespaceProbe,
    ProbeResult,
    ProcessInfo,
    StatInfo,
    StrictHostError,
    decode_text,
    host_path_join,
    mode_allows,
    parse_group,
    parse_mountinfo,
    parse_passwd,
    read_limited,
    which_on,
)

if TYPE_CHECKING:
    from rootless.engine.userns import MapPlan

#: mtime of files whose host.toml entry does not say (git does not keep mtimes)
DEFAULT_MTIME = 1_700_000_000.0

_TYPES = {"file": stat_mod.S_IFREG, "dir": stat_mod.S_IFDIR, "char": stat_mod.S_IFCHR}


class SnapshotHost:
    """A recorded host: ``directory/root`` is its ``/``, ``directory/host.toml`` the rest."""

    def __init__(
        self, directory: str | os.PathLike[str], config: Mapping[str, Any] | None = None
    ) -> None:
        self.directory = Path(directory)
        self.root = str(self.directory / "root")
        if config is None:
            config = tomllib.loads((self.directory / "host.toml").read_text(encoding="utf-8"))
        self.config = config
        self.description = str(config.get("description", ""))
        user = config.get("user", {})
        self.user = str(user.get("name", "user"))
        self.uid = int(user.get("uid", 1000))
        self.gid = int(user.get("gid", self.uid))
        self.impersonated = bool(user.get("impersonated", False))
        self.env: Mapping[str, str] = {str(k): str(v) for k, v in config.get("env", {}).items()}
        self.files: dict[str, Mapping[str, Any]] = {
            posixpath.normpath(k): v for k, v in config.get("files", {}).items()
        }
        account = next((a for a in self._passwd() if a.uid == self.uid), None)
        self.home = account.home if account else self.env.get("HOME", f"/home/{self.user}")
        if "groups" in user:
            self.groups = tuple(dict.fromkeys([self.gid, *map(int, user["groups"])]))
        else:
            member_of = [g.gid for g in self._groups() if self.user in g.members]
            self.groups = tuple(dict.fromkeys([self.gid, *member_of]))
        self._commands: list[Mapping[str, Any]] = list(config.get("commands", []))
        self._probes: Mapping[str, Mapping[str, Any]] = config.get("probes", {})
        self._processes = {
            int(p["pid"]): ProcessInfo(
                int(p["pid"]),
                int(p.get("uid", 0)),
                str(p.get("name", "")),
                float(p.get("start_time", DEFAULT_MTIME)),
                tuple(p.get("cmdline", ())),
            )
            for p in config.get("processes", [])
        }
        self._lock = threading.Lock()
        self._used_commands: set[int] = set()
        self._used_probes: set[str] = set()
        self.calls: list[str] = []

    # bookkeeping for tests ---------------------------------------------------------------
    def unused(self) -> list[str]:
        """Scripted commands and probes that no check asked for."""
        out = [
            "command " + " ".join(c["argv"])
            for i, c in enumerate(self._commands)
            if i not in self._used_commands
        ]
        out += [f"probe {name}" for name in self._probes if name not in self._used_probes]
        return out

    # files ------------------------------------------------------------------------------
    def _p(self, path: str) -> str:
        return host_path_join(self.root, path)

    def _entry(self, path: str) -> Mapping[str, Any]:
        return self.files.get(posixpath.normpath("/" + path.lstrip("/")), {})

    def read_bytes(self, path: str, *, limit: int = MAX_FILE_BYTES) -> bytes | None:
        entry = self._entry(path)
        if not self.exists(path):
            return None
        if entry.get("unreadable"):
            raise HostFileError(path, "is not readable (permission denied)")
        if entry.get("type") == "dir":
            raise HostFileError(path, "is a directory, expected a file")
        data = read_limited(self._p(path), path, limit)
        return b"" if data is None else data

    def read_text(self, path: str, *, limit: int = MAX_FILE_BYTES) -> str | None:
        data = self.read_bytes(path, limit=limit)
        return None if data is None else decode_text(path, data)

    def stat(self, path: str) -> StatInfo | None:
        entry = self._entry(path)
        real = self._p(path)
        try:
            st = os.stat(real)
            kind = stat_mod.S_IFMT(st.st_mode)
            perms = stat_mod.S_IMODE(st.st_mode)
            size = st.st_size
        except OSError:
            if "type" not in entry:
                return None
            kind, perms, size = 0, 0o755 if entry["type"] == "dir" else 0o644, 0
        if "type" in entry:
            kind = _TYPES[str(entry["type"])]
        if "mode" in entry:
            perms = int(entry["mode"])
        return StatInfo(
            kind | perms,
            int(entry.get("uid", 0)),
            int(entry.get("gid", 0)),
            size,
            float(entry.get("mtime", DEFAULT_MTIME)),
        )

    def exists(self, path: str) -> bool:
        return self.stat(path) is not None

    def listdir(self, path: str) -> list[str]:
        names: set[str] = set()
        with contextlib.suppress(OSError):
            names.update(os.listdir(self._p(path)))
        prefix = posixpath.normpath("/" + path.lstrip("/")).rstrip("/") + "/"
        for declared in self.files:
            if declared.startswith(prefix) and "type" in self.files[declared]:
                names.add(declared[len(prefix) :].split("/", 1)[0])
        names.discard(".keep")
        return sorted(names)

    def getxattr(self, path: str, name: str) -> bytes | None:
        value = self._entry(path).get("xattrs", {}).get(name)
        return None if value is None else base64.b64decode(value)

    def realpath(self, path: str) -> str:
        current = posixpath.normpath("/" + path.lstrip("/"))
        for _ in range(40):
            parts = current.strip("/").split("/")
            for i in range(len(parts), 0, -1):
                prefix = "/" + "/".join(parts[:i])
                link = self.files.get(prefix, {}).get("link")
                if link:
                    rest = "/".join(parts[i:])
                    current = posixpath.normpath(posixpath.join(str(link), rest))
                    break
            else:
                return current
        return current

    def access(self, path: str, want: int) -> bool:
        st = self.stat(path)
        return st is not None and mode_allows(st, self.uid, self.groups, want)

    def which(self, name: str) -> str | None:
        return which_on(self, name)

    # commands ---------------------------------------------------------------------------
    def run(self, argv: Sequence[str], *, timeout: float = 10.0) -> CommandResult:
        wanted = list(argv)
        with self._lock:
            self.calls.append("run " + " ".join(wanted))
            for i, cmd in enumerate(self._commands):
                if list(cmd["argv"]) == wanted:
                    self._used_commands.add(i)
                    return CommandResult(
                        tuple(wanted),
                        int(cmd.get("returncode", 0)),
                        str(cmd.get("stdout", "")),
                        str(cmd.get("stderr", "")),
                        bool(cmd.get("timed_out", False)),
                    )
        raise StrictHostError(f"{self.directory.name}: unexpected command {wanted!r}")

    # databases and processes ------------------------------------------------------------
    def _passwd(self) -> tuple[Account, ...]:
        try:
            return parse_passwd(self.read_text("/etc/passwd") or "")
        except HostFileError:
            return ()

    def _groups(self) -> tuple[GroupEntry, ...]:
        try:
            return parse_group(self.read_text("/etc/group") or "")
        except HostFileError:
            return ()

    def mounts(self) -> tuple[Mount, ...]:
        return parse_mountinfo(self.read_text("/proc/self/mountinfo") or "")

    def accounts(self) -> tuple[Account, ...]:
        return parse_passwd(self.read_text("/etc/passwd") or "")

    def group_entries(self) -> tuple[GroupEntry, ...]:
        return parse_group(self.read_text("/etc/group") or "")

    def process(self, pid: int) -> ProcessInfo | None:
        return self._processes.get(pid)

    def processes(self) -> tuple[ProcessInfo, ...]:
        return tuple(self._processes.values())

    # probes -----------------------------------------------------------------------------
    def probe_blocker(self) -> str | None:
        if self.impersonated:
            return f"probes must run as {self.user} itself"
        return None

    def _probe(self, name: str) -> ProbeResult:
        with self._lock:
            self.calls.append(f"probe {name}")
            spec = self._probes.get(name)
            if spec is None:
                raise StrictHostError(f"{self.directory.name}: probe {name!r} is not scripted")
            self._used_probes.add(name)
        return ProbeResult(
            ok=bool(spec.get("ok", False)),
            output=str(spec.get("output", "")),
            error=str(spec.get("error", "")),
            check_id=spec.get("check_id"),
            full_mapping=spec.get("full_mapping"),
            notes=tuple(spec.get("notes", ())),
        )

    def probe_namespace(
        self, plan: MapPlan, overlay_dir: str | None, *, timeout: float
    ) -> NamespaceProbe:
        with self._lock:
            self.calls.append(f"probe namespace mode={plan.mode} overlay_dir={overlay_dir}")
        overlay = self._probe("overlay") if overlay_dir is not None else None
        return NamespaceProbe(self._probe("userns"), overlay, self._probe("tun"))
