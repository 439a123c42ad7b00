"""From an OCI image config and podman-style options to the process a container runs.

Pure functions over data (no namespaces, no I/O except reading ``--env-file`` files), so
every rule is unit-testable:

* argv: ``Entrypoint + Cmd``; a CLI command replaces ``Cmd``; ``--entrypoint`` replaces
  ``Entrypoint`` *and* drops the image's ``Cmd`` (podman's ``makeCommand``); an
  ``--entrypoint`` of ``""`` clears the entrypoint and keeps the image ``Cmd``.
* env, lowest to highest precedence: Docker's default ``PATH`` (only when the image sets
  none), ``HOSTNAME``, the image ``Env``, ``--env-file`` files, ``-e``; ``TERM=xterm`` with
  ``-t``; ``HOME`` from the container's ``/etc/passwd`` when still unset (filled in inside
  the container, where that file is read).
* user: ``name|uid[:group|gid]`` resolved through the *container's* ``/etc/passwd`` and
  ``/etc/group`` with runc's rules (``GetExecUser``): a numeric uid need not exist, a name
  must; supplementary groups come from ``/etc/group`` membership when no group is given.

This module is on the ``rootless engine run`` hot path: it imports nothing heavy.
"""

from __future__ import annotations

import os

from rootless.errors import RootlessError, UsageError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

#: Docker's and podman's PATH for images that set none
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class SpecError(RootlessError):
    """The image config and options do not give a runnable process (podman exits 125)."""

    exit_code = ExitCode.ENGINE


class ProcessSpec:
    """What PID 1 of the container runs, before the user is resolved inside the container."""

    __slots__ = ("args", "cwd", "env", "hostname", "stop_signal", "terminal", "user")

    def __init__(
        self,
        args: list[str],
        env: list[str],
        cwd: str,
        user: str,
        hostname: str,
        *,
        terminal: bool = False,
        stop_signal: str = "SIGTERM",
    ) -> None:
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user
        self.hostname = hostname
        self.terminal = terminal
        self.stop_signal = stop_signal

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"ProcessSpec({self.to_dict()!r})"


def image_process_config(image_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``config`` object of a full OCI image config (``{}`` when absent or malformed)."""
    if not image_config:
        return {}
    inner = image_config.get("config")
    return dict(inner) if isinstance(inner, dict) else {}


def _str_list(value: object, field: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise SpecError(f"image config field {field} is not a list of strings: {value!r}")


def parse_entrypoint(value: str) -> list[str]:
    """``--entrypoint``: a JSON array of strings, else the whole string as one argument."""
    if value.startswith("["):
        import json  # noqa: PLC0415 - rare

        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
            return parsed
    return [value] if value else []


def command_line(
    image: Mapping[str, Any], command: Sequence[str], entrypoint: str | None
) -> list[str]:
    """podman's ``makeCommand``: the final argv of the container process."""
    image_entry = _str_list(image.get("Entrypoint"), "Entrypoint") or []
    image_cmd = _str_list(image.get("Cmd"), "Cmd") or []
    user_entry = parse_entrypoint(entrypoint) if entrypoint is not None else None
    entry = image_entry if user_entry is None else user_entry
    argv: list[str] = []
    if entry != [""]:
        argv += entry
    cmd = list(command)
    if not cmd and not user_entry:
        cmd = image_cmd
    argv += cmd
    if not argv:
        raise SpecError(
            "no command or entrypoint provided, and no CMD or ENTRYPOINT from the image",
            hint="give the command after the image: rootless engine run IMAGE sh -c '...'",
        )
    return argv


def _env_name_ok(name: str) -> bool:
    return bool(name) and "\0" not in name


def parse_env_items(
    items: Iterable[str], host_env: Mapping[str, str], *, source: str = "-e"
) -> dict[str, str]:
    """podman's ``env.ParseSlice``: ``K=V``; ``K`` alone copies the host's value (skipped
    when unset); ``K*`` copies every host variable starting with ``K``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        name = key.lstrip(" \t")
        if not key or not _env_name_ok(name):
            raise UsageError(f"invalid environment variable {item!r} (from {source})")
        if sep:
            out[name] = value
        elif name.endswith("*"):
            prefix = name[:-1]
            out.update({k: v for k, v in host_env.items() if k.startswith(prefix)})
        elif name in host_env:
            out[name] = host_env[name]
    return out


def parse_env_file(text: str, host_env: Mapping[str, str], *, source: str) -> dict[str, str]:
    """podman's ``env.ParseFile``: one variable a line, leading blanks trimmed, ``#``
    comments and blank lines skipped, no quote processing."""
    lines = []
    for raw in text.splitlines():
        line = raw.lstrip(" \t")
        if line and not line.startswith("#"):
            lines.append(line)
    return parse_env_items(lines, host_env, source=source)


def read_env_files(paths: Iterable[str], host_env: Mapping[str, str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as fh:
                text = fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read --env-file {path}: {exc.strerror}") from exc
        env.update(parse_env_file(text, host_env, source=path))
    return env


def merge_env(
    image_env: Sequence[str] | None,
    overrides: Mapping[str, str],
    *,
    hostname: str,
    terminal: bool,
) -> list[str]:
    """The container's environment as ``K=V`` strings, in a stable order."""
    env: dict[str, str] = {}
    image_pairs: dict[str, str] = {}
    for item in image_env or ():
        key, _, value = item.partition("=")
        if key:
            image_pairs[key] = value
    if "PATH" not in image_pairs:
        env["PATH"] = DEFAULT_PATH
    if terminal:
        env["TERM"] = "xterm"
    env["HOSTNAME"] = hostname
    env.update(image_pairs)
    env.update(overrides)
    return [f"{k}={v}" for k, v in env.items()]


def build_process(
    image_config: Mapping[str, Any] | None,
    *,
    command: Sequence[str] = (),
    entrypoint: str | None = None,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    workdir: str | None = None,
    hostname: str,
    terminal: bool = False,
) -> ProcessSpec:
    """Merge the image config with the options the way podman does."""
    image = image_process_config(image_config)
    argv = command_line(image, command, entrypoint)
    image_env = _str_list(image.get("Env"), "Env")
    cwd = workdir or (image.get("WorkingDir") if isinstance(image.get("WorkingDir"), str) else "")
    cwd = cwd or "/"
    if not cwd.startswith("/"):
        raise UsageError(f"the working directory must be an absolute path, not {cwd!r}")
    image_user = image.get("User") if isinstance(image.get("User"), str) else ""
    stop = image.get("StopSignal") if isinstance(image.get("StopSignal"), str) else ""
    return ProcessSpec(
        argv,
        merge_env(image_env, env or {}, hostname=hostname, terminal=terminal),
        cwd,
        user if user is not None else str(image_user or ""),
        hostname,
        terminal=terminal,
        stop_signal=str(stop or "SIGTERM"),
    )


# --------------------------------------------------------------------------------------
# User and group resolution (runc's libcontainer/user.GetExecUser rules)


class ExecUser:
    """The ids the container process runs with."""

    __slots__ = ("gid", "home", "sgids", "uid")

    def __init__(self, uid: int, gid: int, sgids: list[int], home: str) -> None:
        self.uid = uid
        self.gid = gid
        self.sgids = sgids
        self.home = home

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExecUser) and (
            self.uid,
            self.gid,
            self.sgids,
            self.home,
        ) == (other.uid, other.gid, other.sgids, other.home)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ExecUser(uid={self.uid}, gid={self.gid}, sgids={self.sgids}, home={self.home!r})"


class UserLookupError(SpecError):
    """A user or group name the container's /etc/passwd or /etc/group does not define."""


def _parse_colon_file(text: str | None, fields: int) -> list[list[str]]:
    rows = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) < fields:
            parts += [""] * (fields - len(parts))
        rows.append(parts)
    return rows


def _as_id(text: str) -> int | None:
    if text.isascii() and text.isdigit():
        value = int(text)
        return value if value < 2**32 - 1 else None
    return None


def resolve_user(spec: str, passwd: str | None, group: str | None) -> ExecUser:
    """Resolve ``user[:group]`` (names or numbers) against the container's files.

    ``passwd``/``group`` are the files' text, or None when the container has none.
    """
    user_arg, _, group_arg = spec.partition(":")
    result = ExecUser(0, 0, [], "/")
    matched_name: str | None = None
    uid_num = _as_id(user_arg) if user_arg else None
    if user_arg and uid_num is None and not _valid_name(user_arg):
        raise UserLookupError(f"invalid user {user_arg!r}")
    for row in _parse_colon_file(passwd, 7):
        name, _pw, uid_s, gid_s, _gecos, home, _shell = row[:7]
        uid, gid = _as_id(uid_s), _as_id(gid_s)
        if uid is None or gid is None:
            continue
        if not user_arg:
            hit = uid == 0
        elif uid_num is not None:
            hit = uid == uid_num
        else:
            hit = name == user_arg
        if hit:
            matched_name = name
            result = ExecUser(uid, gid, [], home or "/")
            break
    else:
        if user_arg and uid_num is None:
            raise UserLookupError(
                f"unable to find user {user_arg}: no matching entries in passwd file",
                hint="the name must exist in the container's /etc/passwd; a numeric uid need not",
            )
        if uid_num is not None:
            result = ExecUser(uid_num, 0, [], "/")
    groups = _parse_colon_file(group, 4)
    if group_arg:
        gid_num = _as_id(group_arg)
        found = None
        for row in groups:
            gname, _pw, gid_s, _members = row[:4]
            gid = _as_id(gid_s)
            if gid is None:
                continue
            if gname == group_arg or (gid_num is not None and gid == gid_num):
                found = gid
                break
        if found is None:
            if gid_num is None:
                raise UserLookupError(
                    f"unable to find group {group_arg}: no matching entries in group file"
                )
            found = gid_num
        result.gid = found
    elif matched_name is not None:
        sgids = []
        for row in groups:
            _gname, _pw, gid_s, members = row[:4]
            gid = _as_id(gid_s)
            if gid is not None and matched_name in members.split(",") and gid not in sgids:
                sgids.append(gid)
        result.sgids = sgids
    return result


def _valid_name(name: str) -> bool:
    return bool(name) and all(c not in name for c in ":\n\0/")


def home_env(env: list[str], home: str) -> list[str]:
    """Add ``HOME`` from the passwd entry unless the environment already sets it."""
    if any(item.startswith("HOME=") for item in env):
        return env
    return [*env, f"HOME={home}"]


# --------------------------------------------------------------------------------------
# Volumes


class Volume:
    """A ``-v HOSTDIR:DIR[:ro]`` bind mount."""

    __slots__ = ("readonly", "source", "target")

    def __init__(self, source: str, target: str, readonly: bool) -> None:
        self.source = source
        self.target = target
        self.readonly = readonly

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "readonly": self.readonly}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Volume) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Volume({self.source!r}, {self.target!r}, readonly={self.readonly})"


_VOLUME_OPTIONS = {"ro", "rw", "z", "Z", "rbind", "bind", "rprivate", "private"}


def parse_volume(spec: str, *, cwd: str | None = None) -> Volume:
    """``-v HOSTDIR:DIR[:OPTIONS]`` with podman's meaning for bind mounts.

    The host path must start with ``/`` or ``.`` (anything else is a named volume, which
    this engine does not manage). Options: ``ro``/``rw`` (``z``/``Z`` SELinux relabelling
    and the bind propagation words are accepted and ignored: no SELinux here).
    """
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 3 or not parts[0] or not parts[1]:
        raise UsageError(f"invalid volume {spec!r}: expected HOSTDIR:DIR[:ro]")
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) == 3 and parts[2] else []
    if not source.startswith(("/", ".")):
        raise UsageError(
            f"invalid volume {spec!r}: named volumes are not supported; give an absolute host path"
        )
    if not target.startswith("/"):
        raise UsageError(f"invalid volume {spec!r}: the container path must be absolute")
    bad = [o for o in options if o not in _VOLUME_OPTIONS]
    if bad:
        raise UsageError(f"invalid volume {spec!r}: unknown option {bad[0]!r} (use ro or rw)")
    if "ro" in options and "rw" in options:
        raise UsageError(f"invalid volume {spec!r}: both ro and rw given")
    source = os.path.normpath(os.path.join(cwd or os.getcwd(), source))
    if not os.path.exists(source):
        raise UsageError(f"invalid volume {spec!r}: host path {source} does not exist")
    return Volume(source, os.path.normpath(target), "ro" in options)
