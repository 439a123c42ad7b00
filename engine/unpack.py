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
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rootless.engine.store import RootfsInfo, Store, remove_trees
from rootless.errors import RootlessError


@dataclass(frozen=True)
class LayerToApply:
    digest: str  # compressed blob in the store
    diff_id: str  # from the image config


@dataclass(frozen=True)
class UnpackResult:
    info: RootfsInfo
    warning: str | None
    created: bool


def _preload() -> None:
    """Import everything the chrooted child needs (nothing can be imported after chroot)."""
    import encodings.ascii  # noqa: PLC0415
    import encodings.latin_1  # noqa: PLC0415
    import encodings.utf_8  # noqa: F401, PLC0415
    import tarfile  # noqa: F401, PLC0415
    import traceback  # noqa: F401, PLC0415

    import rootless.engine.layers  # noqa: F401, PLC0415

    with contextlib.suppress(ImportError):
        import isal.isal_zlib  # noqa: F401, PLC0415
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


def unpack(
    store: Store,
    config_digest: str,
    layers: Sequence[LayerToApply],
    *,
    mode: str = "auto",
    on_layer: Callable[[int], None] | None = None,
) -> UnpackResult:
    """Make sure ``<store>/rootfs/<config-hex>`` exists; unpack it when it does not.

    Must be called with no other threads alive (the namespace work forks). Concurrent
    callers for the same image serialise on a per-rootfs lock; the second finds it done.
    """
    from rootless.engine import layers as layermod  # noqa: PLC0415
    from rootless.engine.userns import MapPlan, fork_in_userns  # noqa: PLC0415

    final = store.rootfs_path(config_digest)
    info_path = store.rootfs_info_path(config_digest)
    with store.rootfs_lock(config_digest):
        info = RootfsInfo.read(info_path)
        if final.is_dir() and info is not None:
            return UnpackResult(info, None, False)
        stale = list(final.parent.glob(f".tmp-{final.name}-*"))
        if final.exists():
            stale.append(store._to_trash(final))  # a rootfs without its info: redo it
        if stale:
            remove_trees(stale)
        staging = final.parent / f".tmp-{final.name}-{os.getpid()}"
        staging.mkdir(mode=0o755)
        _preload()
        fds = [
            os.open(store.blob_path(layer.digest), os.O_RDONLY | os.O_CLOEXEC) for layer in layers
        ]
        rfd, wfd = os.pipe()
        plan = MapPlan.for_current_user(mode)  # type: ignore[arg-type]
        staging_s = str(staging)

        def child() -> int:
            os.close(rfd)
            result: dict[str, object] = {"ok": False}
            try:
                full, count = _mapped_ids()
                sources = [
                    layermod.prepare(fd, layer.diff_id, layer.digest)
                    for fd, layer in zip(fds, layers, strict=True)
                ]
                free = layermod.free_space_of("/")  # the chroot: the store filesystem
                os.chdir(staging_s)
                os.chroot(".")
                os.chdir("/")
                os.umask(0)
                applier = layermod.Applier(squash=not full, id_range=count, free_space=free)
                for i, source in enumerate(sources):
                    applier.apply(source)
                    os.write(wfd, b"L%d\n" % i)
                result = {
                    "ok": True,
                    "full": full,
                    "count": count,
                    "stats": applier.stats.to_json(),
                }
            except RootlessError as exc:
                result = {
                    "ok": False,
                    "error": exc.message,
                    "hint": exc.hint,
                    "check_id": exc.check_id,
                }
            except OSError as exc:
                result = {"ok": False, "error": f"unpacking failed: {exc}"}
            except BaseException as exc:  # report everything to the parent
                import traceback  # noqa: PLC0415

                result = {
                    "ok": False,
                    "error": f"unpacking failed: {exc!r}",
                    "trace": traceback.format_exc(),
                }
            os.write(wfd, b"R" + json.dumps(result).encode() + b"\n")
            return 0 if result.get("ok") else 1

        try:
            proc = fork_in_userns(child, plan=plan)
        except BaseException:
            os.close(rfd)
            os.close(wfd)
            for fd in fds:
                os.close(fd)
            remove_trees([staging])
            raise
        os.close(wfd)
        for fd in fds:
            os.close(fd)
        result: dict[str, object] = {}
        try:
            with os.fdopen(rfd, "rb") as pipe:
                for line in pipe:
                    if line.startswith(b"L") and on_layer:
                        on_layer(int(line[1:]))
                    elif line.startswith(b"R"):
                        result = json.loads(line[1:])
            code = proc.wait()
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, 9)
            proc.wait()
            remove_trees([staging])
            raise
        if code != 0 or not result.get("ok"):
            remove_trees([staging])
            if result.get("trace") and os.environ.get("ROOTLESS_DEBUG"):
                sys.stderr.write(str(result["trace"]))
            raise RootlessError(
                str(result.get("error") or f"the unpack process failed (exit {code})"),
                hint=str(result["hint"]) if result.get("hint") else None,
                check_id=str(result["check_id"]) if result.get("check_id") else None,
            )
        stats = result.get("stats") or {}
        assert isinstance(stats, dict)
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
        os.rename(staging, final)
        from rootless.fsutil import atomic_write  # noqa: PLC0415

        atomic_write(
            info_path,
            json.dumps(
                {
                    "config_digest": config_digest,
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
            mode=0o644,
        )
        return UnpackResult(info, proc.mapping.warning, True)
