"""Flattening an image into ``<store>/rootfs/<config-hex>/`` inside a user namespace.

The work happens in a child forked with :func:`rootless.engine.userns.fork_in_userns`:
mapped with the user's full sub-id range (newgidmap/newuidmap, as podman), it is root in its
namespace, ``chroot()``s into a private staging directory and applies the layers bottom-up
with :class:`rootless.engine.layers.Applier`. Owners in the image (uid 101, 65534, ...) land
on the matching sub-ids on disk, exactly where podman would put them. Without a sub-id range
the namespace has a single mapping: every owner is squashed to the user and a warning names
the doctor check ``subid-ranges``.

Only a complete, verified tree is renamed to its final name; a failed or interrupted unpack
leaves a ``.tmp-*`` directory that the next pull or ``prune`` removes (from inside a user
namespace, since its files belong to sub-ids).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading

from rootless.engine.idmap import Record
from rootless.engine.store import RootfsInfo, Store, remove_trees
from rootless.errors import RootlessError

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the hot path
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Sequence
    from typing import Any


class LayerToApply(Record):
    _fields = ("digest", "diff_id", "media_type")
    __slots__ = _fields
    digest: str  # compressed blob in the store
    diff_id: str  # from the image config
    media_type: str  # only a hint (the blob's magic bytes decide)

    def __init__(self, digest: str, diff_id: str, media_type: str = "") -> None:
        self._init(digest, diff_id, media_type)


class UnpackResult(Record):
    _fields = ("info", "warning", "created")
    __slots__ = _fields
    info: RootfsInfo
    warning: str | None
    created: bool

    def __init__(self, info: RootfsInfo, warning: str | None, created: bool) -> None:
        self._init(info, warning, created)


def _preload(kinds: frozenset[str] = frozenset({"gzip", "zstd"})) -> None:
    """Import everything the chrooted child needs (nothing can be imported after chroot).

    Runs in the child, before the chroot: with :class:`Worker` that is while the parent
    still talks to the registry, so these imports cost the pull no time."""
    import encodings.ascii  # noqa: PLC0415
    import encodings.latin_1  # noqa: PLC0415
    import encodings.utf_8  # noqa: F401, PLC0415

    import rootless.engine.layers  # noqa: F401, PLC0415

    if "gzip" in kinds:
        with contextlib.suppress(ImportError):
            import isal.isal_zlib  # noqa: F401, PLC0415
    if "zstd" in kinds:
        with contextlib.suppress(ImportError):
            import zstandard  # noqa: F401, PLC0415


def _mapped_ids() -> tuple[bool, int]:
    """(more than one id mapped?, how many) from our own uid_map."""
    total = 0
    with open("/proc/self/uid_map") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                total += int(parts[2])
    return total > 1, total


#: the first bytes of a zstd frame (``layers.ZSTD_MAGIC``; the parent sniffs without
#: importing the layer code, which only the child needs)
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Worker:
    """A child forked early into its user namespace, mapped, waiting to unpack an image.

    :meth:`spawn` runs while the process has no threads, before the first request to the
    registry: the namespace set-up (two setuid helpers) and the child's imports then
    overlap with the manifest and config round trips instead of following them. An
    :class:`Unpacker` takes the child over; one that is never used (the image was
    unpacked already) is stopped by :meth:`close`. A namespace that cannot be set up is
    reported only when an unpack really needs it (:attr:`error`).
    """

    def __init__(self, mode: str = "auto") -> None:
        self.mode = mode
        self.child: Any = None
        self.sock: socket.socket | None = None
        self.error: RootlessError | None = None

    def spawn(self) -> Worker:
        from rootless.engine.userns import MapPlan, fork_in_userns  # noqa: PLC0415

        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

        def child() -> int:
            parent_sock.close()
            return _child_main(child_sock)

        try:
            self.child = fork_in_userns(child, plan=MapPlan.for_current_user(self.mode))  # type: ignore[arg-type]
        except RootlessError as exc:  # MappingError: only fatal if an unpack needs it
            self.error = exc
            parent_sock.close()
            return self
        finally:
            child_sock.close()
        self.sock = parent_sock
        return self

    @property
    def available(self) -> bool:
        """Not taken yet (a child waiting, or the set-up error to report)."""
        return self.child is not None or self.error is not None

    def take(self) -> tuple[Any, socket.socket]:
        """Hand the child and its socket over (raises the set-up error, if any)."""
        if self.error is not None:
            raise self.error
        if self.child is None or self.sock is None:
            raise RuntimeError("the unpack worker was taken already or never spawned")
        child, sock = self.child, self.sock
        self.child = self.sock = None
        return child, sock

    def close(self) -> None:
        """Stop an unused child (it exits when its socket closes; SIGKILL makes sure)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child.pid, 9)
            self.child.wait()
            self.child = None


class Unpacker:
    """One image's unpack, fed layer by layer while the rest still download.

    :meth:`start` takes the namespaced child over from a :class:`Worker` (or forks one:
    no thread may be alive then) and tells it where to build the tree; :meth:`feed` hands
    it each verified layer blob, in order, as an open file descriptor over a
    ``SOCK_SEQPACKET`` socket (``SCM_RIGHTS``), so the child, already chrooted, can apply
    layer 1 while layer 2 downloads; :meth:`finish` waits for it and renames the tree
    into place. Concurrent pulls of the same image serialise on the per-rootfs lock; the
    second one finds the rootfs done.
    """

    def __init__(
        self,
        store: Store,
        config_digest: str,
        layers: Sequence[LayerToApply],
        *,
        mode: str = "auto",
        worker: Worker | None = None,
    ) -> None:
        self.store = store
        self.config_digest = config_digest
        self.layers = list(layers)
        self.mode = mode
        self.worker = worker
        self.final = store.rootfs_path(config_digest)
        self.info_path = store.rootfs_info_path(config_digest)
        self.staging = self.final.parent / f".tmp-{self.final.name}-{os.getpid()}"
        self._stack = contextlib.ExitStack()
        self._sock: socket.socket | None = None
        self._child: Any = None
        self._sent = 0
        self._send_lock = threading.Lock()
        self._filters: list[subprocess.Popen[bytes]] = []
        self.existing: RootfsInfo | None = None
        self._preloaded: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ parent side
    def start(self) -> bool:
        """Lock, and start the child unless the rootfs exists (then False: nothing to do)."""
        self._stack.enter_context(self.store.rootfs_lock(self.config_digest))
        try:
            info = RootfsInfo.read(self.info_path)
            if self.final.is_dir() and info is not None:
                self.existing = info
                self._stack.close()
                return False
            stale = list(self.final.parent.glob(f".tmp-{self.final.name}-*"))
            if self.final.exists():
                stale.append(self.store._to_trash(self.final))  # no info: redo it
            if stale:
                remove_trees(stale)
            self.staging.mkdir(mode=0o755)
            kinds = {"zstd" if "zstd" in la.media_type else "gzip" for la in self.layers}
            if not all(la.media_type for la in self.layers):
                kinds = {"gzip", "zstd"}
            self._preloaded = frozenset(kinds)
            worker = self.worker if self.worker is not None else Worker(self.mode).spawn()
            try:
                self._child, self._sock = worker.take()
            finally:
                if worker is not self.worker:
                    worker.close()
            order = {
                "staging": str(self.staging),
                "kinds": sorted(self._preloaded),
                "layers": [[la.digest, la.diff_id] for la in self.layers],
            }
            with contextlib.suppress(OSError):  # a failed child: finish() reports why
                self._sock.send(b"S" + json.dumps(order).encode())
        except BaseException:
            self._cleanup()
            raise
        return True

    def feed(self, index: int) -> None:
        """Hand layer ``index`` (its blob is in the store) to the child; call in order."""
        with self._send_lock:
            assert index == self._sent, "layers must be fed in order"
            self._sent += 1
            layer = self.layers[index]
            fd = os.open(self.store.blob_path(layer.digest), os.O_RDONLY | os.O_CLOEXEC)
            try:
                kind = "auto"  # the child sniffs the magic bytes itself
                head = os.pread(fd, 4, 0)  # pread: the offset the child gets stays 0
                if head == _ZSTD_MAGIC and ("zstd" not in self._preloaded or not _have_zstandard()):
                    fd = self._zstd_filter(fd, layer.digest)
                    kind = "tar"
                assert self._sock is not None
                with contextlib.suppress(OSError):  # a failed child: finish() reports why
                    socket.send_fds(self._sock, [f"L {index} {kind}".encode()], [fd])
            finally:
                os.close(fd)

    def _zstd_filter(self, fd: int, digest: str) -> int:
        """Decompress with the ``zstd`` command (no ``zstandard`` module): its stdout pipe."""
        import shutil  # noqa: PLC0415 - only without the zstandard module
        import subprocess  # noqa: PLC0415

        from rootless.engine.layers import LayerError  # noqa: PLC0415

        zstd = shutil.which("zstd")
        if zstd is None:
            raise LayerError(
                f"layer {digest} is zstd-compressed and neither the Python module `zstandard` "
                "nor the `zstd` command is available",
                hint="pip install 'rootless[zstd]' (or install the zstd package)",
            )
        proc = subprocess.Popen([zstd, "-dcq"], stdin=fd, stdout=subprocess.PIPE)
        self._filters.append(proc)
        assert proc.stdout is not None
        out = os.dup(proc.stdout.fileno())
        proc.stdout.close()
        os.close(fd)
        return out

    def finish(self) -> UnpackResult:
        """Wait for the child; move the finished tree into place (or clean up and raise)."""
        if self.existing is not None:
            return UnpackResult(self.existing, None, False)
        assert self._sock is not None
        result: dict[str, Any] = {}
        try:
            while True:
                msg = self._sock.recv(1 << 20)
                if not msg:
                    break
                if msg.startswith(b"R"):
                    result = json.loads(msg[1:])
                    break
            code = self._child.wait()
        except BaseException:
            self._cleanup()
            raise
        for proc in self._filters:
            proc.wait()
        if code != 0 or not result.get("ok"):
            self._cleanup()
            if result.get("trace") and os.environ.get("ROOTLESS_DEBUG"):
                sys.stderr.write(str(result["trace"]))
            raise RootlessError(
                str(result.get("error") or f"the unpack process failed (exit {code})"),
                hint=str(result["hint"]) if result.get("hint") else None,
                check_id=str(result["check_id"]) if result.get("check_id") else None,
            )
        try:
            info = self._commit(result)
        finally:
            self._sock.close()
            self._stack.close()
        return UnpackResult(info, self._child.mapping.warning, True)

    def abort(self) -> None:
        """Stop the child and remove the partial tree (a failed download, Ctrl-C)."""
        self._cleanup()

    def _cleanup(self) -> None:
        if self._sock is not None:
            self._sock.close()
        if self._child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child.pid, 9)
            self._child.wait()
        for proc in self._filters:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
        try:
            if self.staging.exists():
                remove_trees([self.staging])
        finally:
            self._stack.close()

    def _commit(self, result: dict[str, Any]) -> RootfsInfo:
        from rootless.engine.store import replace_file  # noqa: PLC0415

        stats = result.get("stats") or {}
        notes: list[str] = []
        if stats.get("devices_skipped_count"):
            shown = ", ".join(stats.get("devices_skipped", [])[:5])
            notes.append(
                f"skipped {stats['devices_skipped_count']} device node(s) ({shown}): a user "
                "namespace cannot create devices; containers get /dev from the runtime"
            )
        info = RootfsInfo(
            full_mapping=bool(result.get("full")),
            size=int(stats.get("bytes", 0)),
            files=int(stats.get("entries", 0)),
            mapping="full" if result.get("full") else "single",
            notes=tuple(notes),
        )
        os.rename(self.staging, self.final)
        replace_file(
            self.info_path,
            json.dumps(
                {
                    "config_digest": self.config_digest,
                    "full_mapping": info.full_mapping,
                    "mapping": info.mapping,
                    "ids": result.get("count"),
                    "size": info.size,
                    "files": info.files,
                    "notes": notes,
                    "stats": stats,
                },
                indent=1,
            ).encode(),
        )
        return info


def _have_zstandard() -> bool:
    try:
        import zstandard  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def _trace(exc: BaseException) -> str:
    """The traceback of ``exc`` (frames only: after the chroot neither the ``traceback``
    module nor the source lines it would show can be loaded)."""
    lines = ["Traceback (most recent call last):"]
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        lines.append(f'  File "{code.co_filename}", line {tb.tb_lineno}, in {code.co_name}')
        tb = tb.tb_next
    lines.append(f"{type(exc).__name__}: {exc}")
    return "\n".join(lines) + "\n"


def _child_main(sock: socket.socket) -> int:
    """In the namespace: import the layer code, wait for the order (staging directory,
    layers), chroot into the staging tree and apply each layer as it arrives. A closed
    socket before the order means the parent needs no unpack: exit quietly."""
    _preload(frozenset({"gzip"}))
    from rootless.engine import layers as layermod  # noqa: PLC0415

    result: dict[str, object]
    try:
        msg = sock.recv(1 << 20)
        if not msg.startswith(b"S"):
            return 0
        order = json.loads(msg[1:])
        staging = str(order["staging"])
        layers = [LayerToApply(str(d), str(x)) for d, x in order["layers"]]
        _preload(frozenset(order["kinds"]))
        full, count = _mapped_ids()
        free = layermod.free_space_of("/")  # after the chroot: the store's filesystem
        os.chdir(staging)
        os.chroot(".")
        os.chdir("/")
        os.umask(0)
        applier = layermod.Applier(squash=not full, id_range=count, free_space=free)
        for index, layer in enumerate(layers):
            msg, fds, _, _ = socket.recv_fds(sock, 256, 1)
            if not msg or not fds:
                raise RootlessError("the pull was interrupted before every layer arrived")
            _, got, kind = msg.decode().split()
            if int(got) != index:
                raise RootlessError(f"layer {got} arrived out of order (expected {index})")
            if kind == "auto":
                kind = layermod.sniff_bytes(os.pread(fds[0], 4, 0))
            fh = os.fdopen(fds[0], "rb", buffering=0)
            try:
                applier.apply(layermod.LayerSource(fh, kind, layer.diff_id, layer.digest))
            finally:
                fh.close()
        result = {"ok": True, "full": full, "count": count, "stats": applier.stats.to_json()}
    except RootlessError as exc:
        result = {"ok": False, "error": exc.message, "hint": exc.hint, "check_id": exc.check_id}
    except OSError as exc:
        result = {"ok": False, "error": f"unpacking failed: {exc}"}
    except BaseException as exc:  # report everything to the parent
        result = {"ok": False, "error": f"unpacking failed: {exc!r}", "trace": _trace(exc)}
    with contextlib.suppress(OSError):
        sock.send(b"R" + json.dumps(result).encode())
    return 0 if result.get("ok") else 1


def unpack(
    store: Store,
    config_digest: str,
    layers: Sequence[LayerToApply],
    *,
    mode: str = "auto",
) -> UnpackResult:
    """Make sure ``<store>/rootfs/<config-hex>`` exists; unpack it (all blobs stored)."""
    job = Unpacker(store, config_digest, layers, mode=mode)
    if not job.start():
        return job.finish()
    try:
        for i in range(len(layers)):
            job.feed(i)
    except BaseException:
        job.abort()
        raise
    return job.finish()
