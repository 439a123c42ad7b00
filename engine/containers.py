"""Containers on disk, and the commands over them: run, ps, logs, stop, rm.

Each container lives in ``<store>/containers/<id>/``:

* ``container.json``: ``id``, ``name``, ``image``, ``image_id``, ``rootfs``, ``command``,
  ``created``, ``status`` (``created``/``running``/``exited``), ``pid`` (the container's
  PID 1 on the host), ``monitor_pid`` (the process that waits for it: the CLI in the
  foreground, the supervisor with ``-d``), ``ports``, ``exit_code``, ...;
* ``upper/``, ``work/``: the overlay's writable layer (files owned by sub-ids: removed
  from inside the user namespace);
* ``ctr.log``: the output of a ``-d`` container, in podman's k8s-file format
  (``<RFC3339 time> stdout|stderr F|P <text>``).

Transient files live, as podman's run root, on ``$XDG_RUNTIME_DIR`` (a tmpfs) when there
is one, in ``$XDG_RUNTIME_DIR/rootless/containers/<id>/`` (else in ``<id>/userdata/``):
the generated ``hosts``, ``hostname``, ``resolv.conf``, the ``pid`` of the container's
PID 1 and the overlay's mount point ``merged`` (only ever mounted inside the container's
own mount namespace).

Names are unique: ``containers/.names/<name>`` is a symlink to the id, created atomically.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import time

from rootless.engine import netmode, runtime
from rootless.engine.paths import store_root
from rootless.engine.rootfs import RootfsPlan
from rootless.engine.spec import (
    ProcessSpec,
    Volume,
    build_process,
    parse_env_items,
    parse_volume,
    read_env_files,
)
from rootless.errors import RootlessError, UsageError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TextIO

    from rootless.engine.portfwd import Loop, PortMapping

STATE = "container.json"
LOG = "ctr.log"
NAMES = ".names"


class ContainerError(RootlessError):
    """A container operation failed (unknown name, still running, ...)."""


def containers_dir(root: str | None = None) -> str:
    return os.path.join(root or store_root(), "containers")


def userdata_dir(cid: str, cdir: str) -> str:
    """Where a container's transient files go (see the module docstring)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg) and os.access(xdg, os.W_OK | os.X_OK):
        return os.path.join(xdg, "rootless", "containers", cid)
    return os.path.join(cdir, "userdata")


# --------------------------------------------------------------------------------------
# State files


_JSON_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)}
_JSON_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 10: "\\n", 13: "\\r", 9: "\\t"})


def dumps(value: object) -> str:
    """JSON for the state file without importing :mod:`json` (and :mod:`re`) on the run
    hot path. Same output as ``json.dumps(value, ensure_ascii=False, sort_keys=True)``
    for what state files hold (dicts with str keys, lists, str, int, float, bool, None)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return '"' + value.translate(_JSON_ESCAPES) + '"'
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinities are not JSON")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items())
        for key, _ in items:
            if not isinstance(key, str):
                raise TypeError(f"JSON keys must be strings, not {key!r}")
        return "{" + ", ".join(f"{dumps(k)}: {dumps(v)}" for k, v in items) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_state(cdir: str, state: dict[str, Any]) -> None:
    """Replace ``container.json`` atomically (tmp + rename: readers never see half a file;
    no fsync: this is runtime state, not user data)."""
    tmp = os.path.join(cdir, f".{STATE}.{os.getpid()}")
    # lone surrogates (undecodable bytes in argv or env) become \udcXX escapes
    data = dumps(state).encode("utf-8", "backslashreplace")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, os.path.join(cdir, STATE))


def read_state(cdir: str) -> dict[str, Any] | None:
    import json  # noqa: PLC0415

    try:
        with open(os.path.join(cdir, STATE), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def update_state(cdir: str, **changes: Any) -> dict[str, Any] | None:
    state = read_state(cdir)
    if state is None:
        return None
    state.update(changes)
    write_state(cdir, state)
    return state


def proc_starttime(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat: tells a process from a later one with the same pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    try:
        return int(data[data.rindex(b")") + 2 :].split()[19])
    except (ValueError, IndexError):
        return None


def is_running(state: dict[str, Any]) -> bool:
    if state.get("status") != "running":
        return False
    pid = state.get("monitor_pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    return proc_starttime(pid) == state.get("monitor_start")


def now_iso() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e9):09d}Z"


# --------------------------------------------------------------------------------------
# Ids and names

_ADJECTIVES = (
    "brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lucid", "merry",
    "nifty", "proud", "quirky", "sharp", "swift", "tender", "vivid", "witty", "zealous", "bold",
)  # fmt: skip
_NOUNS = (
    "bohr", "curie", "darwin", "euler", "fermi", "gauss", "hopper", "kepler", "lovelace",
    "meitner", "noether", "pascal", "ritchie", "shannon", "tesla", "turing", "volta", "wozniak",
    "yalow", "lamarr",
)  # fmt: skip


def _valid_hostname(name: str) -> bool:
    return 0 < len(name) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_.") for c in name)


def new_id() -> str:
    return os.urandom(32).hex()


def _random_name() -> str:
    raw = os.urandom(2)
    return f"{_ADJECTIVES[raw[0] % len(_ADJECTIVES)]}_{_NOUNS[raw[1] % len(_NOUNS)]}"


def _valid_name(name: str) -> bool:
    if not name or len(name) > 128 or not name[0].isalnum():
        return False
    return all(c.isascii() and (c.isalnum() or c in "_.-") for c in name)


def reserve_name(cdirs: str, name: str | None, cid: str) -> str:
    """Claim ``name`` (or a generated one) for ``cid``; podman's error when taken."""
    names = os.path.join(cdirs, NAMES)
    os.makedirs(names, exist_ok=True)
    if name is not None and not _valid_name(name):
        raise UsageError(
            f"invalid container name {name!r}: use letters, digits, '_', '.' and '-', "
            "starting with a letter or digit"
        )
    for attempt in range(100):
        candidate = name if name is not None else _random_name()
        if name is None and attempt >= 20:
            candidate = f"{candidate}_{attempt}"
        link = os.path.join(names, candidate)
        try:
            os.symlink(cid, link)
            return candidate
        except FileExistsError:
            holder = os.readlink(link)
            if not os.path.isdir(os.path.join(cdirs, holder)):  # stale: its container is gone
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(link)
                continue
            if name is not None:
                raise ContainerError(
                    f'the container name "{name}" is already in use by {holder[:12]}; '
                    "remove that container to reuse the name",
                    hint=f"rootless engine rm {name}",
                    exit_code=ExitCode.ENGINE,
                ) from None
    raise ContainerError("could not pick a free container name", exit_code=ExitCode.ENGINE)


def release_name(cdirs: str, name: str, cid: str) -> None:
    link = os.path.join(cdirs, NAMES, name)
    with contextlib.suppress(OSError):
        if os.readlink(link) == cid:
            os.unlink(link)


class Ref:
    """A container found by name, id or unique id prefix."""

    __slots__ = ("cdir", "id", "state")

    def __init__(self, cid: str, cdir: str, state: dict[str, Any]) -> None:
        self.id = cid
        self.cdir = cdir
        self.state = state

    @property
    def name(self) -> str:
        return str(self.state.get("name", ""))


def list_containers(root: str | None = None) -> list[Ref]:
    base = containers_dir(root)
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return []
    out = []
    for cid in names:
        if cid.startswith("."):
            continue
        cdir = os.path.join(base, cid)
        state = read_state(cdir)
        if state is not None:
            out.append(Ref(cid, cdir, state))
    out.sort(key=lambda r: str(r.state.get("created", "")), reverse=True)
    return out


def find(ref: str, root: str | None = None) -> Ref:
    base = containers_dir(root)
    with contextlib.suppress(OSError):
        cid = os.readlink(os.path.join(base, NAMES, ref))
        state = read_state(os.path.join(base, cid))
        if state is not None:
            return Ref(cid, os.path.join(base, cid), state)
    if ref and all(c in "0123456789abcdef" for c in ref):
        hits = [r for r in list_containers(root) if r.id.startswith(ref)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ContainerError(
                f"more than one container id starts with {ref!r}: give more characters"
            )
    raise ContainerError(f"no container with name or ID {ref!r} found")


# --------------------------------------------------------------------------------------
# run


class RunOptions:
    """``rootless engine run`` options, with podman's meanings (see runcli for the flags)."""

    __slots__ = (
        "command",
        "detach",
        "entrypoint",
        "env",
        "env_file",
        "hostname",
        "image",
        "interactive",
        "name",
        "network",
        "publish",
        "rm",
        "rootfs",
        "tty",
        "user",
        "volume",
        "workdir",
    )

    def __init__(
        self,
        *,
        image: str,
        command: Sequence[str] | None = None,
        rm: bool = False,
        detach: bool = False,
        name: str | None = None,
        publish: Sequence[str] | None = None,
        env: Sequence[str] | None = None,
        env_file: Sequence[str] | None = None,
        user: str | None = None,
        workdir: str | None = None,
        volume: Sequence[str] | None = None,
        network: str | None = None,
        hostname: str | None = None,
        entrypoint: str | None = None,
        interactive: bool = False,
        tty: bool = False,
        rootfs: bool = False,
    ) -> None:
        self.image = image
        self.command = list(command or ())
        self.rm = bool(rm)
        self.detach = bool(detach)
        self.name = name
        self.publish = list(publish or ())
        self.env = list(env or ())
        self.env_file = list(env_file or ())
        self.user = user
        self.workdir = workdir
        self.volume = list(volume or ())
        self.network = network
        self.hostname = hostname
        self.entrypoint = entrypoint
        self.interactive = bool(interactive)
        self.tty = bool(tty)
        self.rootfs = bool(rootfs)

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunOptions) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RunOptions({self.as_dict()!r})"


class ImageSource:
    """Where the rootfs comes from: an image from the store, or ``--rootfs DIR[:O]``."""

    __slots__ = ("config", "full_mapping", "image_id", "lower", "mode", "name")

    def __init__(
        self,
        *,
        name: str,
        lower: str,
        config: dict[str, Any] | None,
        mode: str,
        image_id: str = "",
        full_mapping: bool | None = None,
    ) -> None:
        self.name = name
        self.lower = lower
        self.config = config
        self.mode = mode
        self.image_id = image_id
        self.full_mapping = full_mapping


def source_of(record: Any) -> ImageSource:
    """The rootfs and config of a :class:`rootless.engine.store.ImageRecord` (a pulled image)."""
    return ImageSource(
        name=str(record.name),
        lower=str(record.rootfs),
        config=dict(record.config),
        mode="overlay",
        image_id=str(record.config_digest),
        full_mapping=bool(record.full_mapping),
    )


def resolve_image(opts: RunOptions) -> ImageSource:
    if opts.rootfs:
        path, overlay = opts.image, False
        if path.endswith(":O"):
            path, overlay = path[:-2], True
        path = os.path.abspath(path)
        if not os.path.isdir(path):
            raise UsageError(f"--rootfs {path}: not a directory")
        return ImageSource(
            name=path, lower=path, config=None, mode="overlay" if overlay else "direct"
        )
    cached = _cached_image(opts.image)
    if cached is not None:
        return cached
    try:
        import importlib  # noqa: PLC0415

        store_mod: Any = importlib.import_module("rootless.engine.store")
    except ImportError:
        raise ContainerError(
            "this build has no image store: run an exploded rootfs with "
            "`rootless engine run --rootfs DIR`",
            exit_code=ExitCode.ENGINE,
        ) from None
    store = store_mod.Store(None)
    record = store.lookup(opts.image)
    if record is None:
        raise ContainerError(
            f"{opts.image}: image not known locally",
            hint=f"pull it first: rootless engine pull {opts.image}",
            exit_code=ExitCode.ENGINE,
        )
    source = source_of(record)
    with contextlib.suppress(OSError, ValueError, TypeError):
        _remember_image(opts.image, source, os.path.join(str(store.layout), "index.json"))
    return source


# Store lookups of fully qualified references, remembered for the next run: importing the
# store and parsing the image index and config cost ~60 ms on the run hot path. An entry
# is valid while the store's index.json is unchanged (same mtime_ns and size: any pull,
# tag, rmi or prune rewrites it) and the rootfs exists. marshal: no import needed.
_IMAGE_CACHE = ".image-cache"
_IMAGE_CACHE_MAX = 32


def _cacheable(ref: str) -> bool:
    """Only references whose meaning registries.conf cannot change (no short names)."""
    if ref.startswith("sha256:"):
        return True
    first, slash, _ = ref.partition("/")
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


def _index_stamp(index: str) -> tuple[int, int] | None:
    try:
        st = os.stat(index)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _cached_image(ref: str) -> ImageSource | None:
    if not _cacheable(ref):
        return None
    import marshal  # noqa: PLC0415 - builtin

    try:
        with open(os.path.join(containers_dir(), _IMAGE_CACHE), "rb") as fh:
            # our own file in the user's private store (whoever can write it can replace
            # the image's rootfs too); only plain values are accepted from it below
            cache = marshal.load(fh)  # noqa: S302
        entry = cache[ref]
        strings = ("index", "name", "lower", "image_id")
        if not all(isinstance(entry[k], str) for k in strings):
            return None
        if not isinstance(entry["config"], dict) or not isinstance(entry["full_mapping"], bool):
            return None
        if tuple(entry["stamp"]) != _index_stamp(entry["index"]):
            return None
        if not os.path.isdir(entry["lower"]):
            return None
        return ImageSource(
            name=entry["name"],
            lower=entry["lower"],
            config=entry["config"],
            mode="overlay",
            image_id=entry["image_id"],
            full_mapping=entry["full_mapping"],
        )
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None


def _remember_image(ref: str, source: ImageSource, index: str) -> None:
    if not _cacheable(ref):
        return
    stamp = _index_stamp(index)
    if stamp is None:
        return
    import marshal  # noqa: PLC0415

    path = os.path.join(containers_dir(), _IMAGE_CACHE)
    os.makedirs(containers_dir(), mode=0o700, exist_ok=True)
    try:
        with open(path, "rb") as fh:
            cache = marshal.load(fh)  # noqa: S302 - see _cached_image
        if not isinstance(cache, dict):
            cache = {}
    except (OSError, EOFError, ValueError, TypeError):
        cache = {}
    cache.pop(ref, None)
    cache[ref] = {
        "index": index,
        "stamp": list(stamp),
        "name": source.name,
        "lower": source.lower,
        "config": source.config,
        "image_id": source.image_id,
        "full_mapping": source.full_mapping,
    }
    while len(cache) > _IMAGE_CACHE_MAX:
        cache.pop(next(iter(cache)))
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "wb") as fh:
        marshal.dump(cache, fh)
    os.replace(tmp, path)


def _warn(err: TextIO) -> Callable[[str], None]:
    def warn(text: str) -> None:
        err.write(f"rootless: warning: {text}\n")
        err.flush()

    return warn


def prepare_files(userdata: str, network: str, hostname: str, name: str) -> list[tuple[str, str]]:
    """Write the generated /etc files; (container path, host file) pairs to bind."""
    files = {
        "hosts": netmode.hosts_file(network, hostname, name),
        "hostname": hostname + "\n",
        "resolv.conf": netmode.resolv_conf(network),
    }
    out = []
    for fname, text in files.items():
        path = os.path.join(userdata, fname)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
        out.append((f"/etc/{fname}", path))
    return out


def run(
    opts: RunOptions,
    *,
    source: ImageSource | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdio: tuple[int, int, int] | None = None,
) -> int:
    """``rootless engine run``: create the container, run it, return its exit code.

    ``source`` gives the rootfs and image config directly (library use); by default it
    comes from ``opts`` (an image in the store, or ``--rootfs DIR``). ``out``/``err``
    receive what the engine itself prints (the id with ``-d``, warnings); ``stdio`` gives
    the container's own stdin, stdout and stderr descriptors in the foreground (library use,
    e.g. ``rootless verify`` captures the output; default: this process's).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    warn = _warn(err)
    network = netmode.parse_network(opts.network)
    mappings: list[PortMapping] = []
    if opts.publish:
        from rootless.engine.portfwd import parse_publish  # noqa: PLC0415 - imports socket

        for spec in opts.publish:
            mappings += parse_publish(spec)
    if mappings and not netmode.ports_allowed(network):
        warn(
            "Port mappings have been discarded as one of the Host, Container, Pod, and None "
            "network modes are in use"
        )
        mappings = []
    volumes: list[Volume] = [parse_volume(v) for v in opts.volume]
    env = read_env_files(opts.env_file, os.environ) if opts.env_file else {}
    env.update(parse_env_items(opts.env, os.environ))
    if source is None:
        source = resolve_image(opts)
    cid = new_id()
    hostname = opts.hostname or cid[:12]
    if not _valid_hostname(hostname):
        raise UsageError(
            f"invalid --hostname {hostname!r}: at most 64 letters, digits, '-', '_' and '.'"
        )
    process = build_process(
        source.config,
        command=opts.command,
        entrypoint=opts.entrypoint,
        env=env,
        user=opts.user,
        workdir=opts.workdir,
        hostname=hostname,
        terminal=opts.tty,
    )
    cdirs = containers_dir()
    os.makedirs(cdirs, mode=0o700, exist_ok=True)
    cdir = os.path.join(cdirs, cid)
    os.mkdir(cdir, 0o700)
    name = ""
    try:
        name = reserve_name(cdirs, opts.name, cid)
        state = _initial_state(
            cid,
            name,
            source=source,
            process=process,
            network=network,
            mappings=mappings,
            volumes=volumes,
            opts=opts,
        )
        userdata = userdata_dir(cid, cdir)
        os.makedirs(userdata, mode=0o700)
        state["userdata"] = userdata
        plan = _rootfs_plan(
            cdir, userdata, source, volumes=volumes, network=network, process=process
        )
        plan.etc_files = prepare_files(userdata, network, hostname, name)
        listeners = []
        if mappings:
            from rootless.engine.portfwd import bind_listeners  # noqa: PLC0415

            listeners = bind_listeners(mappings)
            state["ports"] = [m.to_dict() for m in mappings]
        cfg = runtime.RunConfig(
            process=process,
            rootfs=plan,
            network=network,
            listeners=listeners,
            interactive=opts.interactive,
            tty=opts.tty,
            remove_dirs=[cdir, userdata] if opts.rm else [],
            helper_log=os.path.join(cdir, "network.log"),
            on_pid=lambda pid: _record_pid(cdir, state, pid),
            stdio=stdio,
        )
        if not opts.detach:  # the supervisor writes its own
            _monitor_state(state, os.getpid())
            write_state(cdir, state)
    except BaseException:
        _discard(cdirs, cdir, name, cid)
        runtime.remove_tree(userdata_dir(cid, cdir))
        raise
    if opts.detach:
        return _run_detached(cfg, cdirs=cdirs, cdir=cdir, state=state, out=out, warn=warn)
    return _run_foreground(cfg, cdirs, cdir, state, warn)


def _discard(cdirs: str, cdir: str, name: str, cid: str) -> None:
    """Undo a container that never started (only host-owned files exist yet)."""
    if name:
        release_name(cdirs, name, cid)
    runtime.remove_tree(cdir)


def _initial_state(
    cid: str,
    name: str,
    *,
    source: ImageSource,
    process: ProcessSpec,
    network: str,
    mappings: Sequence[PortMapping],
    volumes: Sequence[Volume],
    opts: RunOptions,
) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "image": source.name,
        "image_id": source.image_id,
        "rootfs": source.lower,
        "rootfs_mode": source.mode,
        "full_mapping": source.full_mapping,
        "command": process.args,
        "process": process.to_dict(),
        "created": now_iso(),
        "status": "created",
        "pid": 0,
        "monitor_pid": 0,
        "monitor_start": None,
        "exit_code": None,
        "network": network,
        "ports": [m.to_dict() for m in mappings],
        "volumes": [v.to_dict() for v in volumes],
        "rm": opts.rm,
        "detach": opts.detach,
        "stop_signal": process.stop_signal,
    }


def _rootfs_plan(
    cdir: str,
    userdata: str,
    source: ImageSource,
    *,
    volumes: list[Volume],
    network: str,
    process: ProcessSpec,
) -> RootfsPlan:
    mode = source.mode
    forced = os.environ.get("ROOTLESS_ROOTFS_MODE")
    if mode == "overlay" and forced == "copy":
        mode = "copy"
    if mode in ("overlay", "copy"):
        upper = os.path.join(cdir, "upper")
        os.mkdir(upper)
        with contextlib.suppress(OSError):  # "/" of the container takes upper's mode
            os.chmod(upper, os.stat(source.lower).st_mode & 0o7777)
        os.mkdir(os.path.join(cdir, "work"), 0o700)
        os.mkdir(os.path.join(userdata, "merged"), 0o700)
    return RootfsPlan(
        mode=mode,
        lower=source.lower,
        upper=os.path.join(cdir, "upper"),
        work=os.path.join(cdir, "work"),
        merged=os.path.join(userdata, "merged"),
        copy_dir=os.path.join(cdir, "rootfs"),
        volumes=volumes,
        own_netns=netmode.own_netns(network),
        cwd=process.cwd,
    )


def _monitor_state(state: dict[str, Any], monitor: int) -> None:
    """``running`` from now on: the monitor (this CLI or the supervisor) waits for it."""
    state.update(
        status="running",
        monitor_pid=monitor,
        monitor_start=proc_starttime(monitor),
        started=now_iso(),
    )


def ref_userdata(ref: Ref) -> str:
    value = ref.state.get("userdata")
    return value if isinstance(value, str) and value else os.path.join(ref.cdir, "userdata")


def _record_pid(cdir: str, state: dict[str, Any], pid: int) -> None:
    """In C, right after the fork: the pid of the container's PID 1 into container.json."""
    state["pid"] = pid
    write_state(cdir, state)


def container_pid(ref: Ref) -> int:
    """The host pid of the container's PID 1 (0 when unknown)."""
    pid = ref.state.get("pid")
    return pid if isinstance(pid, int) and pid > 0 else 0


def _run_foreground(
    cfg: runtime.RunConfig,
    cdirs: str,
    cdir: str,
    state: dict[str, Any],
    warn: Callable[[str], None],
) -> int:
    name, cid = state["name"], state["id"]
    with runtime.SignalProxy() as proxy:
        try:
            session = runtime.start(cfg)
        except RootlessError as exc:
            _after_failed_start(cdirs, cdir, state, exc)
            raise
        state["pid"] = session.g_pid  # C has written it; keep it in later writes
        for text in _start_warnings(session, state):
            warn(text)
        raw = None
        if session.pty_master is not None and sys.stdin.isatty():
            raw = runtime.RawTerminal(0)
        try:
            code = session.serve(
                proxy=proxy,
                tty_in=0 if (cfg.interactive and session.pty_master is not None) else None,
                tty_out=1,
            )
        finally:
            if raw is not None:
                raw.restore()
    if cfg.remove_dirs:
        release_name(cdirs, name, cid)
        if any(os.path.isdir(d) for d in cfg.remove_dirs):  # C was killed?: finish the job
            remove_container_dir(*cfg.remove_dirs)
    else:
        state.update(status="exited", exit_code=code, finished=now_iso())
        write_state(cdir, state)
    return code


def _start_warnings(session: runtime.Session, state: dict[str, Any]) -> list[str]:
    out = []
    if session.mapping_warning:
        out.append(session.mapping_warning)
    if state.get("full_mapping") and not session.child.mapping.full:
        out.append(
            "the image was unpacked with the full sub-id range, but this run has a single-id "
            "mapping: its files owned by other ids show as nobody and may be unreadable "
            "(rootless doctor subid-ranges)"
        )
    out += [text for _check, text in session.warnings]
    return out


def _after_failed_start(cdirs: str, cdir: str, state: dict[str, Any], exc: RootlessError) -> None:
    if state.get("rm"):
        release_name(cdirs, state["name"], state["id"])
        dirs = [cdir, str(state.get("userdata") or "")]
        try:  # before the namespace existed only host-owned files were made
            for path in dirs:
                if path:
                    runtime.remove_tree(path)
        except OSError:
            with contextlib.suppress(RootlessError, OSError):
                remove_container_dir(*[d for d in dirs if d])
        return
    if os.path.isdir(cdir):
        state.update(
            status="exited",
            exit_code=int(exc.exit_code),
            finished=now_iso(),
            error=exc.message,
        )
        write_state(cdir, state)


# --------------------------------------------------------------------------------------
# -d: the supervisor


class LogWriter:
    """Collects container output into ``ctr.log`` in podman's k8s-file format."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self.partial: dict[str, bytes] = {}

    def feed(self, stream: str, data: bytes) -> None:
        buf = self.partial.get(stream, b"") + data
        lines = buf.split(b"\n")
        rest = lines.pop()
        ts = now_iso().encode()
        records = [b"%s %s F %s\n" % (ts, stream.encode(), line) for line in lines]
        if len(rest) > 16384:
            records.append(b"%s %s P %s\n" % (ts, stream.encode(), rest))
            rest = b""
        self.partial[stream] = rest
        if records:
            os.write(self.fd, b"".join(records))

    def flush(self, stream: str) -> None:
        rest = self.partial.pop(stream, b"")
        if rest:
            os.write(self.fd, b"%s %s P %s\n" % (now_iso().encode(), stream.encode(), rest))

    def close(self) -> None:
        for stream in list(self.partial):
            self.flush(stream)
        os.close(self.fd)


def _log_reader(loop: Loop, logs: LogWriter, fd: int, stream: str) -> Callable[[int], None]:
    def on_data(_ev: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO from a pty master whose slave closed
            data = b""
        if data:
            logs.feed(stream, data)
        else:
            loop.remove(fd)
            logs.flush(stream)

    return on_data


def _drain(fd: int, logs: LogWriter, stream: str) -> None:
    os.set_blocking(fd, False)
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        logs.feed(stream, data)
    logs.flush(stream)


def _run_detached(
    cfg: runtime.RunConfig,
    *,
    cdirs: str,
    cdir: str,
    state: dict[str, Any],
    out: TextIO,
    warn: Callable[[str], None],
) -> int:
    ready_r, ready_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the supervisor
        code: int = ExitCode.ENGINE
        try:
            os.close(ready_r)
            code = _supervise(cfg, cdirs, cdir, state, ready_w)
        except BaseException as exc:  # report, never return into the CLI
            with contextlib.suppress(BaseException):
                msg = exc.message if isinstance(exc, RootlessError) else repr(exc)
                check = exc.check_id if isinstance(exc, RootlessError) else None
                ecode = int(exc.exit_code) if isinstance(exc, RootlessError) else 125
                os.write(ready_w, f"E\t{ecode}\t{check or '-'}\t{msg}\n".encode())
        finally:
            os._exit(code)
    os.close(ready_w)
    lines: list[str] = []
    with os.fdopen(ready_r, "rb") as fh:
        for raw in fh:  # until "OK" or an error (or EOF if the supervisor died)
            lines.append(raw.decode(errors="replace").rstrip("\n"))
            if lines[-1] == "OK" or lines[-1].startswith("E\t"):
                break
    error = None
    for line in lines:
        kind, _, rest = line.partition("\t")
        if kind == "W":
            warn(rest)
        elif kind == "E":
            code_s, check, message = [*rest.split("\t", 2), "", ""][:3]
            error = RunErrorFromSupervisor(
                message,
                check_id=None if check in ("", "-") else check,
                exit_code=ExitCode(int(code_s)) if code_s.isdigit() else ExitCode.ENGINE,
            )
    if error is not None:
        raise error
    if "OK" not in lines:
        raise ContainerError(
            "the supervisor exited before the container started", exit_code=ExitCode.ENGINE
        )
    out.write(state["id"] + "\n")
    out.flush()
    return ExitCode.OK


class RunErrorFromSupervisor(RootlessError):
    exit_code = ExitCode.ENGINE


def _supervise(
    cfg: runtime.RunConfig,
    cdirs: str,
    cdir: str,
    state: dict[str, Any],
    ready_w: int,
) -> int:
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    slog = os.open(
        os.path.join(cdir, "supervisor.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
    )
    os.dup2(devnull, 0)
    os.dup2(slog, 1)
    os.dup2(slog, 2)
    os.close(devnull)
    os.close(slog)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    cfg.stdio = (null, out_w, err_w)
    cfg.interactive = False
    cfg.child_close = [ready_w, out_r, err_r]
    _monitor_state(state, os.getpid())
    write_state(cdir, state)
    proxy = runtime.SignalProxy()  # a signal to the supervisor goes to the container
    try:
        session = runtime.start(cfg)
    except RootlessError as exc:
        _after_failed_start(cdirs, cdir, state, exc)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
        os.close(null)
    state["pid"] = session.g_pid  # C has written it; keep it in later writes
    lines = [f"W\t{text}" for text in _start_warnings(session, state)]
    lines.append("OK")
    os.write(ready_w, ("\n".join(lines) + "\n").encode())
    os.close(ready_w)
    logs = LogWriter(os.path.join(cdir, LOG))
    master = session.pty_master

    def register(loop: Loop) -> None:
        import select  # noqa: PLC0415

        for fd, stream in ((out_r, "stdout"), (err_r, "stderr")):
            os.set_blocking(fd, False)
            loop.set(fd, select.EPOLLIN, _log_reader(loop, logs, fd, stream))
        if master is not None:
            os.set_blocking(master, False)
            loop.set(master, select.EPOLLIN, _log_reader(loop, logs, master, "stdout"))

    if master is not None:
        session.pty_master = None  # the log collector owns it, not a terminal relay
    code = session.serve(proxy=proxy, on_loop=register)
    _drain(out_r, logs, "stdout")
    _drain(err_r, logs, "stderr")
    if master is not None:
        _drain(master, logs, "stdout")
        os.close(master)
    logs.close()
    if cfg.remove_dirs:
        release_name(cdirs, state["name"], state["id"])
        if any(os.path.isdir(d) for d in cfg.remove_dirs):
            with contextlib.suppress(RootlessError, OSError):
                remove_container_dir(*cfg.remove_dirs)
    else:
        state.update(status="exited", exit_code=code, finished=now_iso())
        with contextlib.suppress(OSError):
            write_state(cdir, state)
    return 0


# --------------------------------------------------------------------------------------
# stop, rm


def _signal_number(name: str) -> int:
    text = str(name).upper()
    if text.isdigit():
        return int(text)
    if not text.startswith("SIG"):
        text = "SIG" + text
    try:
        return int(signal.Signals[text])
    except KeyError:
        return int(signal.SIGTERM)


def _wait_exit(pid: int, timeout: float | None) -> bool:
    """Wait until process ``pid`` has exited; False on timeout."""
    import select  # noqa: PLC0415

    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([pidfd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(pidfd)


def stop(ref: Ref, *, timeout: float = 10, warn: Callable[[str], None] | None = None) -> None:
    """podman stop: the stop signal to PID 1, then SIGKILL after ``timeout`` seconds; waits
    until the monitor (CLI or supervisor) has recorded the exit."""
    state = ref.state
    if not is_running(state):
        return
    monitor = int(state["monitor_pid"])
    pid = container_pid(ref)
    sig = _signal_number(str(state.get("stop_signal") or "SIGTERM"))
    if pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    if _wait_exit(monitor, timeout):
        return
    if warn is not None:
        warn(
            f"StopSignal {signal.Signals(sig).name} failed to stop container {ref.name} in "
            f"{timeout:g} seconds, resorting to SIGKILL"
        )
    if pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if not _wait_exit(monitor, 60):
        raise ContainerError(f"container {ref.name} did not stop after SIGKILL")


def remove_container_dir(*dirs: str) -> None:
    """Delete container directories, from inside the user namespace (sub-id owned files)."""
    from rootless.engine.userns import MapPlan, fork_in_userns  # noqa: PLC0415

    def body() -> int:
        for path in dirs:
            runtime.remove_tree(path)
        return 0

    child = fork_in_userns(body, plan=MapPlan.for_current_user())
    code = child.wait()
    left = [d for d in dirs if os.path.lexists(d)]
    if code != 0 or left:
        raise ContainerError(f"could not remove {', '.join(left)} (exit status {code})")


def remove(
    ref: Ref,
    *,
    force: bool = False,
    timeout: float = 10,
    root: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> None:
    if is_running(ref.state):
        if not force:
            raise ContainerError(
                f"cannot remove container {ref.name} as it is running",
                hint=f"stop it first (rootless engine stop {ref.name}) or use rm -f",
                exit_code=ExitCode.USAGE,
            )
        stop(ref, timeout=timeout, warn=warn)
    remove_container_dir(ref.cdir, ref_userdata(ref))
    release_name(containers_dir(root), ref.name, ref.id)


# --------------------------------------------------------------------------------------
# ps, logs


def _human_duration(seconds: float) -> str:
    """docker/go-units HumanDuration."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    m = s // 60
    if m == 1:
        return "About a minute"
    if m < 60:
        return f"{m} minutes"
    h = round(s / 3600)
    if h == 1:
        return "About an hour"
    if h < 48:
        return f"{h} hours"
    if h < 24 * 7 * 2:
        return f"{h // 24} days"
    if h < 24 * 30 * 2:
        return f"{h // 24 // 7} weeks"
    if h < 24 * 365 * 2:
        return f"{h // 24 // 30} months"
    return f"{h // 24 // 365} years"


def _parse_iso(text: object) -> float | None:
    if not isinstance(text, str) or len(text) < 19:
        return None
    import calendar  # noqa: PLC0415

    try:
        base = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    return float(base)


def status_text(state: dict[str, Any], now: float | None = None) -> str:
    now = time.time() if now is None else now
    if is_running(state):
        started = _parse_iso(state.get("started")) or now
        return f"Up {_human_duration(now - started)} ago"  # podman's wording
    if state.get("status") == "created":
        return "Created"
    finished = _parse_iso(state.get("finished"))
    code = state.get("exit_code")
    code_text = "?" if code is None else str(code)
    ago = f" {_human_duration(now - finished)} ago" if finished else ""
    return f"Exited ({code_text}){ago}"


def ps_rows(refs: list[Ref], *, now: float | None = None) -> list[dict[str, Any]]:
    now = time.time() if now is None else now
    rows = []
    for ref in refs:
        st = ref.state
        created = _parse_iso(st.get("created"))
        ports = ", ".join(
            f"{p.get('host_ip') or '0.0.0.0'}:{p.get('host_port')}->{p.get('container_port')}/"  # noqa: S104
            f"{p.get('protocol', 'tcp')}"
            for p in st.get("ports") or []
            if isinstance(p, dict)
        )
        rows.append(
            {
                "id": ref.id,
                "name": ref.name,
                "image": st.get("image", ""),
                "command": " ".join(str(a) for a in st.get("command") or []),
                "created": st.get("created"),
                "created_ago": f"{_human_duration(now - created)} ago" if created else "",
                "status": status_text(st, now),
                "running": is_running(st),
                "exit_code": st.get("exit_code"),
                "pid": container_pid(ref) if is_running(st) else 0,
                "ports": ports,
            }
        )
    return rows


def format_ps(rows: list[dict[str, Any]], *, no_trunc: bool = False) -> str:
    headers = ("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES")
    table = []
    for r in rows:
        command = r["command"]
        if not no_trunc and len(command) > 20:
            command = command[:17] + "..."
        table.append(
            (
                r["id"] if no_trunc else r["id"][:12],
                r["image"],
                command,
                r["created_ago"],
                r["status"],
                r["ports"],
                r["name"],
            )
        )
    widths = [len(h) for h in headers]
    for row in table:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = []
    for row in [headers, *table]:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths[:-1], strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def read_log_records(path: str, offset: int = 0) -> tuple[list[tuple[str, str, bool, bytes]], int]:
    """Parse k8s-file records from ``offset``: (time, stream, full line?, text), new offset."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    records = []
    for raw in data[:end].split(b"\n")[:-1]:
        parts = raw.split(b" ", 3)
        if len(parts) < 3:
            continue
        text = parts[3] if len(parts) == 4 else b""
        records.append((parts[0].decode(), parts[1].decode(), parts[2] == b"F", text))
    return records, offset + end


def print_logs(
    ref: Ref,
    *,
    follow: bool = False,
    tail: int | None = None,
    timestamps: bool = False,
    out: Any = None,
    err: Any = None,
) -> None:
    """podman logs: stdout records to stdout, stderr records to stderr."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr.buffer
    path = os.path.join(ref.cdir, LOG)
    records, offset = read_log_records(path)
    if tail is not None:
        records = records[-tail:] if tail > 0 else []

    def emit(recs: list[tuple[str, str, bool, bytes]]) -> None:
        for ts, stream, full, text in recs:
            target = err if stream == "stderr" else out
            prefix = (ts + " ").encode() if timestamps else b""
            target.write(prefix + text + (b"\n" if full else b""))
        out.flush()
        err.flush()

    emit(records)
    if not follow:
        return
    while True:
        running = is_running(ref.state)
        if running:
            _wait_exit(int(ref.state["monitor_pid"]), 0.2)
        more, offset = read_log_records(path, offset)
        emit(more)
        if not running:
            return
        fresh = read_state(ref.cdir)
        if fresh is None:
            return
        ref.state = fresh
