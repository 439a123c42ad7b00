"""The image store: an OCI image layout plus one flattened rootfs per image.

Layout under :func:`default_store_root` (``$ROOTLESS_STORE``, else
``$XDG_DATA_HOME/rootless``, else ``~/.local/share/rootless``)::

    oci/                   OCI image layout (skopeo ``oci:<root>/oci``, umoci can read it)
      oci-layout           {"imageLayoutVersion": "1.0.0"}
      index.json           one manifest descriptor per image name
                           (annotation org.opencontainers.image.ref.name = normalised name)
      blobs/sha256/<hex>   manifests, configs and compressed layers, shared between images
    rootfs/<config-hex>/   the flattened, ready root filesystem of one image (sub-id owned)
    rootfs/<config-hex>.json  how it was unpacked (full or single mapping, size)
    containers/<id>/       the runtime's containers (``container.json`` names its image)
    tmp/                   partial downloads and unpacks (never visible as blobs or rootfs)
    locks/                 flock files

Blobs and rootfs directories appear only by ``rename()`` after verification, so a crash or
Ctrl-C never leaves a partial blob or rootfs where readers look. Pulls hold ``gc.lock``
shared; ``rmi``/``prune`` hold it exclusively, so garbage collection never races a pull.
``index.json`` is rewritten atomically under ``index.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

from rootless.engine.idmap import Record
from rootless.engine.paths import store_root
from rootless.errors import RootlessError

# ``rootless engine pull`` and ``run`` import this module on their hot paths: no
# dataclasses, no typing at run time (mypy treats any name TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

REF_NAME = "org.opencontainers.image.ref.name"
INDEX_DIGEST = "dev.rootless.index.digest"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def default_store_root() -> Path:
    """``$ROOTLESS_STORE``, else ``$XDG_DATA_HOME/rootless``, else ``~/.local/share/rootless``
    (the rule lives in :func:`rootless.engine.paths.store_root`)."""
    return Path(store_root())


class ImageRecord(Record):
    """One local image, as the runtime needs it (immutable, compared by value)."""

    _fields = ("name", "manifest_digest", "config_digest", "config", "rootfs", "full_mapping")
    __slots__ = _fields
    name: str  # normalised, e.g. "127.0.0.1:5000/library/busybox:latest"
    manifest_digest: str
    config_digest: str
    config: dict[str, Any]  # the full OCI image config JSON
    rootfs: Path
    full_mapping: bool  # unpacked with the full sub-id range

    def __init__(  # noqa: PLR0917 - the record's fields, in order
        self,
        name: str,
        manifest_digest: str,
        config_digest: str,
        config: dict[str, Any],
        rootfs: Path,
        full_mapping: bool,
    ) -> None:
        self._init(name, manifest_digest, config_digest, config, rootfs, full_mapping)

    @property
    def id(self) -> str:
        """The image id podman shows: the config digest's hex."""
        return self.config_digest.split(":", 1)[1]


class IndexEntry(Record):
    """One line of ``index.json``."""

    _fields = ("name", "manifest")
    __slots__ = _fields
    name: str
    manifest: dict[str, Any]  # the descriptor

    def __init__(self, name: str, manifest: dict[str, Any]) -> None:
        self._init(name, manifest)

    @property
    def digest(self) -> str:
        return str(self.manifest["digest"])

    @property
    def index_digest(self) -> str | None:
        value = (self.manifest.get("annotations") or {}).get(INDEX_DIGEST)
        return str(value) if value else None


class RootfsInfo(Record):
    _fields = ("full_mapping", "size", "files", "mapping", "notes")
    __slots__ = _fields
    full_mapping: bool
    size: int
    files: int
    mapping: str
    notes: tuple[str, ...]

    def __init__(
        self,
        full_mapping: bool,
        size: int = 0,
        files: int = 0,
        mapping: str = "",
        notes: tuple[str, ...] = (),
    ) -> None:
        self._init(full_mapping, size, files, mapping, notes)

    @classmethod
    def read(cls, path: Path) -> RootfsInfo | None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return cls(
            bool(data.get("full_mapping")),
            int(data.get("size", 0)),
            int(data.get("files", 0)),
            str(data.get("mapping", "")),
            tuple(data.get("notes", ())),
        )


class GcReport:
    """What ``rmi``/``prune`` removed (filled in as they go)."""

    def __init__(self) -> None:
        self.removed_images: list[str] = []
        self.removed_blobs = 0
        self.removed_rootfs: list[str] = []
        self.reclaimed = 0
        self.kept_for_containers: list[str] = []

    def __repr__(self) -> str:
        return f"GcReport({vars(self)!r})"


@contextlib.contextmanager
def flock(path: Path, *, shared: bool = False, blocking: bool = True) -> Iterator[bool]:
    """Hold an flock on ``path``; yields False (without waiting) when non-blocking fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        op = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if not blocking:
            op |= fcntl.LOCK_NB
        try:
            fcntl.flock(fd, op)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _hex(digest: str) -> str:
    alg, _, hexpart = digest.partition(":")
    if alg != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
        raise RootlessError(f"malformed digest {digest!r} in the image store")
    return hexpart


class Store:
    """The local image store (see the module docstring for the layout)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_store_root()

    # ------------------------------------------------------------------ paths
    @property
    def layout(self) -> Path:
        return self.root / "oci"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def containers_dir(self) -> Path:
        return self.root / "containers"

    def blob_path(self, digest: str) -> Path:
        return self.layout / "blobs" / "sha256" / _hex(digest)

    def rootfs_path(self, config_digest: str) -> Path:
        return self.root / "rootfs" / _hex(config_digest)

    def rootfs_info_path(self, config_digest: str) -> Path:
        return self.root / "rootfs" / f"{_hex(config_digest)}.json"

    def ensure(self) -> None:
        """Create the layout (idempotent)."""
        try:
            self._ensure()
        except PermissionError as exc:
            raise RootlessError(
                f"cannot write the image store at {self.root}: {exc.strerror} ({exc.filename})",
                hint="choose another with --store or ROOTLESS_STORE",
            ) from exc

    def _ensure(self) -> None:
        for d in (self.layout / "blobs" / "sha256", self.root / "rootfs", self.tmp, self.locks):
            d.mkdir(parents=True, exist_ok=True)
        # rootfs trees hold sub-id owned (possibly setuid) files: keep other users out
        (self.root / "rootfs").chmod(0o700)
        marker = self.layout / "oci-layout"
        if not marker.exists():
            replace_file(marker, b'{"imageLayoutVersion":"1.0.0"}\n')
        if not (self.layout / "index.json").exists():
            with self.index_lock():
                if not (self.layout / "index.json").exists():
                    # an empty index, like the marker, is cheap to recreate: no fsync (every
                    # later index rewrite, which records images, goes through atomic_write)
                    replace_file(self.layout / "index.json", _index_body([]))

    # ------------------------------------------------------------------ locks
    def gc_lock(self, *, shared: bool) -> contextlib.AbstractContextManager[bool]:
        return flock(self.locks / "gc.lock", shared=shared)

    def index_lock(self) -> contextlib.AbstractContextManager[bool]:
        return flock(self.locks / "index.lock")

    def blob_lock(
        self, digest: str, *, blocking: bool = True
    ) -> contextlib.AbstractContextManager[bool]:
        return flock(self.locks / f"blob-{_hex(digest)}.lock", blocking=blocking)

    def rootfs_lock(
        self, config_digest: str, *, blocking: bool = True
    ) -> contextlib.AbstractContextManager[bool]:
        return flock(self.locks / f"rootfs-{_hex(config_digest)}.lock", blocking=blocking)

    # ------------------------------------------------------------------ blobs
    def has_blob(self, digest: str, size: int | None = None) -> bool:
        try:
            st = self.blob_path(digest).stat()
        except FileNotFoundError:
            return False
        return size is None or st.st_size == size

    def partial_path(self, digest: str) -> Path:
        return self.tmp / f"{_hex(digest)}.partial"

    def commit_blob(self, digest: str, partial: Path) -> None:
        """Move a verified partial download into the layout (atomic rename)."""
        os.replace(partial, self.blob_path(digest))

    def put_blob(self, digest: str, data: bytes) -> None:
        """Store small, already verified content (manifests, configs)."""
        import hashlib  # noqa: PLC0415

        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise RootlessError(f"refusing to store content that does not match {digest}")
        path = self.blob_path(digest)
        if not path.exists():
            # content-addressed and verified: a rename is enough (no fsync, like the layers)
            tmp = self.tmp / f"{_hex(digest)}.{os.getpid()}.small"
            tmp.write_bytes(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)

    def read_blob(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

    def read_json_blob(self, digest: str) -> dict[str, Any]:
        data = json.loads(self.read_blob(digest))
        if not isinstance(data, dict):
            raise RootlessError(f"blob {digest} is not a JSON object")
        return data

    # ------------------------------------------------------------------ index
    def entries(self) -> list[IndexEntry]:
        try:
            data = json.loads((self.layout / "index.json").read_text())
        except FileNotFoundError:
            return []
        except ValueError as exc:
            raise RootlessError(f"{self.layout / 'index.json'} is corrupt: {exc}") from exc
        out = []
        for desc in data.get("manifests", []) or []:
            name = (desc.get("annotations") or {}).get(REF_NAME)
            if isinstance(name, str) and name:
                out.append(IndexEntry(name, desc))
        return out

    def _write_index(self, entries: list[IndexEntry]) -> None:
        from rootless.fsutil import atomic_write  # noqa: PLC0415

        atomic_write(self.layout / "index.json", _index_body(entries), mode=0o644)

    def tag(
        self, name: str, manifest: Mapping[str, Any], *, index_digest: str | None = None
    ) -> str | None:
        """Point ``name`` at ``manifest`` (a descriptor); the manifest it replaced, if any."""
        desc = {k: v for k, v in manifest.items() if k in ("mediaType", "digest", "size")}
        annotations = {REF_NAME: name}
        if index_digest:
            annotations[INDEX_DIGEST] = index_digest
        desc["annotations"] = annotations
        with self.index_lock():
            entries = self.entries()
            old = next((e for e in entries if e.name == name), None)
            kept = [e for e in entries if e.name != name]
            kept.append(IndexEntry(name, desc))
            kept.sort(key=lambda e: e.name)
            self._write_index(kept)
        return old.digest if old and old.digest != desc["digest"] else None

    def untag(self, names: set[str]) -> None:
        with self.index_lock():
            self._write_index([e for e in self.entries() if e.name not in names])

    # ------------------------------------------------------------------ records
    def record(self, entry: IndexEntry) -> ImageRecord:
        manifest = self.read_json_blob(entry.digest)
        config_digest = str(manifest["config"]["digest"])
        info = RootfsInfo.read(self.rootfs_info_path(config_digest))
        return ImageRecord(
            name=entry.name,
            manifest_digest=entry.digest,
            config_digest=config_digest,
            config=self.read_json_blob(config_digest),
            rootfs=self.rootfs_path(config_digest),
            full_mapping=bool(info and info.full_mapping),
        )

    def images(self) -> list[tuple[IndexEntry, ImageRecord]]:
        out = []
        for entry in self.entries():
            try:
                out.append((entry, self.record(entry)))
            except (OSError, KeyError, ValueError, TypeError):
                continue  # a damaged entry: `prune` or a re-pull repairs it
        return out

    def lookup(self, ref: str) -> ImageRecord | None:
        """A local image by normalised name, short name (resolved as pull would), image id
        prefix (at least 3 hex digits) or digest; ``None`` when there is none.

        Raises :class:`RootlessError` when an id prefix or short name is ambiguous.
        """
        matches = self.lookup_entries(ref)
        if not matches:
            return None
        records = {id(e): self.record(e) for e in matches}
        ids = {r.config_digest for r in records.values()}
        if len(ids) > 1:
            names = ", ".join(sorted(e.name for e in matches))
            raise RootlessError(f"{ref!r} is ambiguous: it matches {names}")
        return records[id(matches[0])]

    def lookup_entries(self, ref: str) -> list[IndexEntry]:
        """Every index entry ``ref`` names (see :meth:`lookup`)."""
        from rootless.engine import ref as refmod  # noqa: PLC0415

        text = ref.strip()
        entries = self.entries()
        if not entries:
            return []
        if text.startswith("sha256:"):
            return [
                e
                for e in entries
                if text in (e.digest, e.index_digest) or self._config_digest(e) == text
            ]
        try:
            parsed = refmod.parse(text)
        except RootlessError:
            parsed = None
        if parsed is not None:
            if isinstance(parsed, refmod.Reference):
                candidates = [parsed]
            else:
                try:
                    candidates = refmod.RegistriesConf.load().local_candidates(text)
                except RootlessError:
                    candidates = [parsed.qualify("localhost")]
            for cand in candidates:
                found = self._by_reference(entries, cand)
                if found:
                    return found
            if isinstance(parsed, refmod.ShortName):
                suffix = "/" + parsed.path
                tag = parsed.tag or refmod.DEFAULT_TAG
                found = []
                for e in entries:
                    try:
                        r = refmod.parse_qualified(e.name)
                    except RootlessError:
                        continue
                    if r.repository.endswith(suffix) and (
                        (parsed.digest and parsed.digest in (e.digest, e.index_digest))
                        or (not parsed.digest and r.tag == tag)
                    ):
                        found.append(e)
                if found:
                    return found
        low = text.lower()
        if len(low) >= 3 and all(c in "0123456789abcdef" for c in low):
            return [
                e for e in entries if (self._config_digest(e) or "").startswith("sha256:" + low)
            ]
        return []

    def _by_reference(self, entries: list[IndexEntry], ref: Any) -> list[IndexEntry]:
        if ref.digest:
            return [
                e
                for e in entries
                if e.name.startswith(ref.repository + ":")
                or e.name.startswith(ref.repository + "@")
                if ref.digest in (e.digest, e.index_digest)
            ]
        return [e for e in entries if e.name == ref.name]

    def _config_digest(self, entry: IndexEntry) -> str | None:
        try:
            return str(self.read_json_blob(entry.digest)["config"]["digest"])
        except (OSError, KeyError, ValueError, TypeError):
            return None

    # ------------------------------------------------------------------ containers
    def containers_using(self) -> dict[str, list[str]]:
        """image reference (as written by the runtime) -> container ids."""
        used: dict[str, list[str]] = {}
        try:
            dirs = list(self.containers_dir.iterdir())
        except FileNotFoundError:
            return used
        for d in dirs:
            try:
                data = json.loads((d / "container.json").read_text())
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                for key in ("image", "image_id", "rootfs", "config_digest"):
                    value = data.get(key)
                    if isinstance(value, str) and value:
                        used.setdefault(value, []).append(d.name)
        return used

    def _pin(self, config_digest: str, containers: list[str]) -> None:
        """Record that ``containers`` use this rootfs (it outlives its name until they go)."""
        path = self.rootfs_info_path(config_digest)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        data["pinned_by"] = sorted(set(data.get("pinned_by", [])) | set(containers))
        replace_file(path, json.dumps(data, indent=1).encode())

    def _pinned(self, config_hex: str) -> list[str]:
        try:
            data = json.loads((self.root / "rootfs" / f"{config_hex}.json").read_text())
        except (OSError, ValueError):
            return []
        return [c for c in data.get("pinned_by", []) if (self.containers_dir / c).is_dir()]

    def _container_refs_for(self, rec: ImageRecord, used: Mapping[str, list[str]]) -> list[str]:
        keys = {
            rec.name,
            rec.manifest_digest,
            rec.config_digest,
            rec.id,
            str(rec.rootfs),
        }
        out: list[str] = []
        for key, ids in used.items():
            if key in keys or (len(key) >= 12 and rec.id.startswith(key)):
                out += ids
        return sorted(set(out))

    # ------------------------------------------------------------------ removal
    def remove(self, refs: list[str], *, force: bool = False) -> GcReport:
        """``rmi``: untag the named images, then collect what nothing references."""
        with self.gc_lock(shared=False):
            used = self.containers_using()
            names: set[str] = set()
            for ref in refs:
                matches = self.lookup_entries(ref)
                if not matches:
                    raise RootlessError(
                        f"image not known: {ref}", hint="`rootless engine images` lists them"
                    )
                # an id or digest names every tag of that image; a name names one tag
                for e in matches:
                    rec = self.record(e)
                    busy = self._container_refs_for(rec, used)
                    if busy and not force:
                        raise RootlessError(
                            f"image {e.name} is in use by container(s) {', '.join(busy)}",
                            hint="remove the containers first, or pass --force to untag it "
                            "(its files stay until the containers are gone)",
                        )
                    if busy:
                        self._pin(rec.config_digest, busy)
                    names.add(e.name)
            self.untag(names)
            report = self._collect()
            report.removed_images = sorted(names)
            return report

    def prune(self, *, all_images: bool = False) -> GcReport:
        """Remove unreferenced blobs, orphaned rootfs and stale partials; with
        ``all_images`` also every image no container uses."""
        with self.gc_lock(shared=False):
            removed: list[str] = []
            if all_images:
                used = self.containers_using()
                for entry, rec in self.images():
                    if not self._container_refs_for(rec, used):
                        removed.append(entry.name)
                self.untag(set(removed))
            report = self._collect()
            report.removed_images = removed
            return report

    def _collect(self) -> GcReport:
        """Delete what no index entry or container references. Caller holds gc.lock."""
        report = GcReport()
        keep_blobs: set[str] = set()
        keep_rootfs: set[str] = set()
        for entry in self.entries():
            keep_blobs.add(_hex(entry.digest))
            try:
                manifest = self.read_json_blob(entry.digest)
            except (OSError, ValueError):
                continue
            config = manifest.get("config", {}).get("digest")
            if isinstance(config, str):
                keep_blobs.add(_hex(config))
                keep_rootfs.add(_hex(config))
            for layer in manifest.get("layers", []) or []:
                if isinstance(layer, dict) and isinstance(layer.get("digest"), str):
                    keep_blobs.add(_hex(layer["digest"]))
        used = self.containers_using()
        rootfs_dir = self.root / "rootfs"
        for key, ids in used.items():
            hexpart = key.split(":", 1)[-1] if key.startswith("sha256:") else key
            path = Path(key)
            if path.parent == rootfs_dir:
                hexpart = path.name
            if len(hexpart) == 64 and (rootfs_dir / hexpart).exists():
                if hexpart not in keep_rootfs:
                    report.kept_for_containers += ids
                keep_rootfs.add(hexpart)
                # keep the image's blobs too, so a re-tag finds them
                for blob in self._blobs_of_config(hexpart):
                    keep_blobs.add(blob)
        for path in list(rootfs_dir.iterdir()) if rootfs_dir.exists() else []:
            name = path.name
            if len(name) == 64 and name not in keep_rootfs and self._pinned(name):
                keep_rootfs.add(name)
                report.kept_for_containers += self._pinned(name)
                keep_blobs |= self._blobs_of_config(name)
        blob_dir = self.layout / "blobs" / "sha256"
        for path in list(blob_dir.iterdir()) if blob_dir.exists() else []:
            if path.name not in keep_blobs:
                with self.blob_lock("sha256:" + path.name, blocking=False) as got:
                    if not got:
                        continue
                    with contextlib.suppress(FileNotFoundError):
                        report.reclaimed += path.stat().st_size
                        path.unlink()
                        report.removed_blobs += 1
        doomed: list[Path] = []
        for path in list(rootfs_dir.iterdir()) if rootfs_dir.exists() else []:
            name = path.name
            if name.endswith(".json"):
                if name[:-5] not in keep_rootfs and not (rootfs_dir / name[:-5]).exists():
                    path.unlink(missing_ok=True)
                continue
            if name.startswith(".tmp-"):
                hexpart = name[5:].split("-", 1)[0]
                with self.rootfs_lock("sha256:" + hexpart, blocking=False) as got:
                    if got:
                        doomed.append(self._to_trash(path))
                continue
            if len(name) == 64 and name not in keep_rootfs:
                with self.rootfs_lock("sha256:" + name, blocking=False) as got:
                    if not got:
                        continue
                    info = self.rootfs_info_path("sha256:" + name)
                    meta = RootfsInfo.read(info)
                    report.reclaimed += meta.size if meta else 0
                    doomed.append(self._to_trash(path))
                    info.unlink(missing_ok=True)
                    report.removed_rootfs.append(name)
        for path in list(self.tmp.iterdir()) if self.tmp.exists() else []:
            if path.name.endswith(".partial"):
                with self.blob_lock("sha256:" + path.name.split(".")[0], blocking=False) as got:
                    if got:
                        path.unlink(missing_ok=True)
            elif path.name.startswith("trash-"):
                doomed.append(path)
            elif path.name.endswith(".small") and not _alive(path.name.split(".")[1]):
                path.unlink(missing_ok=True)
        if doomed:
            remove_trees(doomed)
        for lock in list(self.locks.iterdir()) if self.locks.exists() else []:
            # stale per-blob/per-rootfs lock files of content that is gone
            name = lock.name
            if name.startswith(("blob-", "rootfs-")) and name.endswith(".lock"):
                hexpart = name.split("-", 1)[1][:-5]
                if hexpart not in keep_blobs and hexpart not in keep_rootfs:
                    with flock(lock, blocking=False) as got:
                        if got:
                            lock.unlink(missing_ok=True)
        return report

    def _blobs_of_config(self, config_hex: str) -> set[str]:
        out: set[str] = set()
        blob_dir = self.layout / "blobs" / "sha256"
        # find manifests that point at this config (cheap: manifests are small JSON files)
        for path in blob_dir.iterdir() if blob_dir.exists() else []:
            try:
                if path.stat().st_size > 4 * 1024 * 1024:
                    continue
                with path.open("rb") as fh:
                    if fh.read(1) != b"{":
                        continue
                data = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if (
                isinstance(data, dict)
                and (data.get("config") or {}).get("digest") == "sha256:" + config_hex
            ):
                out.add(path.name)
                out.add(config_hex)
                for layer in data.get("layers", []) or []:
                    if isinstance(layer, dict) and isinstance(layer.get("digest"), str):
                        out.add(layer["digest"].split(":", 1)[1])
        return out

    def _to_trash(self, path: Path) -> Path:
        """Rename ``path`` out of sight first (atomic), then delete it at leisure."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        target = self.tmp / f"trash-{path.name.lstrip('.')}-{os.getpid()}-{time.monotonic_ns()}"
        os.rename(path, target)
        return target


def _index_body(entries: list[IndexEntry]) -> bytes:
    body = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [e.manifest for e in entries],
    }
    return json.dumps(body, indent=1).encode() + b"\n"


def replace_file(path: Path, data: bytes) -> None:
    """Write ``path`` by rename (readers see old or new), without fsync: for files that are
    cheap to recreate (the layout marker, rootfs metadata)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def remove_trees(paths: list[Path]) -> None:
    """Delete directory trees whose files may belong to the user's sub-ids.

    Files that ``lchown`` gave to sub-ids (uid 101 in the image is 100100 on the host)
    cannot be removed by the user directly; like ``podman unshare rm -rf``, the removal
    runs as root inside a user namespace with the same mapping. Trees the user owns
    outright (single-mapping unpacks) go without one.
    """
    if not paths:
        return

    def body() -> int:
        for p in paths:
            with contextlib.suppress(OSError):
                import shutil  # noqa: PLC0415

                shutil.rmtree(p, onerror=_make_writable_and_retry)
        return 0

    if os.geteuid() == 0:
        body()
    else:
        from rootless.engine.userns import MappingError, MapPlan, fork_in_userns  # noqa: PLC0415

        try:
            fork_in_userns(body, plan=MapPlan.for_current_user()).wait()
        except MappingError:
            body()  # no user namespace: what the user owns outright can still go
    still = [str(p) for p in paths if p.exists() or p.is_symlink()]
    if still:
        raise RootlessError(
            f"could not remove {', '.join(still)} (files owned by sub-ids outside this "
            "user's current mapping?)",
            hint="check /etc/subuid and /etc/subgid (`rootless doctor subid-ranges`)",
            check_id="subid-ranges",
        )


def _make_writable_and_retry(func: Any, path: str, exc_info: Any) -> None:
    """rmtree helper: a directory without write/search permission gets u+rwx, then retry."""
    del exc_info
    parent = os.path.dirname(path)
    with contextlib.suppress(OSError):
        os.chmod(parent, 0o700)
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
    with contextlib.suppress(FileNotFoundError):
        func(path)
