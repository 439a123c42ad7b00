"""Applying image layers to a root filesystem: decompress, verify, apply the changeset.

This code runs **inside a user namespace, chrooted into the rootfs being built** (see
:mod:`rootless.engine.unpack`): absolute symlinks, ``..`` and symlinks through parents all
resolve inside the rootfs, and ``lchown`` stores ids through the sub-id mapping. On top of
that containment, every entry is checked on its own (layers are hostile input):

* names: NUL bytes refused; a leading ``/`` stripped (as tar does); ``..`` that would leave
  the root refused; overlong names refused;
* hardlinks must point to an existing non-directory inside the root;
* whiteouts (``.wh.name``) and opaque markers (``.wh..wh..opq``) delete only what lower
  layers put there — never entries of the same layer — and never through a symlink;
* sizes: an entry larger than the free space of the rootfs is refused before writing;
* devices are skipped (``mknod`` is not allowed in a user namespace) and counted;
* xattrs: ``user.*`` and ``security.capability`` applied where allowed, ``trusted.*`` and
  ``user.overlay.*`` (which would steer the runtime's overlay mount) dropped;
* ownership first, then mode (chown clears setuid), so setuid and sticky bits survive;
  directory modes and times are set after their children.

Python's ``tarfile`` is not used at all (its ``filter=`` argument does not exist before
3.11.4, Debian 12 has 3.11.2, and its stream reader is slow): :class:`TarReader` parses
the headers and copies file data itself.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import errno
import hashlib
import io
import os
import queue
import shutil
import stat
import threading
import zlib

from rootless.errors import RootlessError

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the hot path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1024 * 1024
MAX_NAME = 4096
#: files up to this size are read into memory and written by writer threads
SMALL_FILE = 256 * 1024
#: at most this many writes in flight (bounds the memory held: 64 x 256 KiB)
MAX_PENDING = 64


class LayerError(RootlessError):
    """A layer that cannot be applied (corrupt, hostile, or needing ids we do not have)."""


class ApplyStats:
    """Counters of one unpack."""

    def __init__(self) -> None:
        self.entries = 0
        self.bytes = 0
        self.devices_skipped: list[str] = []
        self.xattrs_skipped = 0
        self.whiteouts = 0
        self.squashed = 0

    def __repr__(self) -> str:
        return f"ApplyStats({vars(self)!r})"

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "bytes": self.bytes,
            "devices_skipped": self.devices_skipped[:20],
            "devices_skipped_count": len(self.devices_skipped),
            "xattrs_skipped": self.xattrs_skipped,
            "whiteouts": self.whiteouts,
            "squashed": self.squashed,
        }


# --------------------------------------------------------------------------------------
# decompression


def _zlib_module() -> Any:
    try:
        from isal import isal_zlib  # noqa: PLC0415 - optional speed-up

        return isal_zlib
    except ImportError:
        return zlib


class _GzipMembers(io.RawIOBase):
    """Multi-member gzip (eStargz layers are many concatenated members), via isal if present."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.zmod = _zlib_module()
        self.d = self.zmod.decompressobj(31)
        self.pending = b""
        self.in_member = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = len(view)
        while True:
            if self.d.unconsumed_tail:
                data = self.d.unconsumed_tail
            elif self.pending:
                data, self.pending = self.pending, b""
            else:
                data = self.raw.read(CHUNK)
                if not data:
                    if self.in_member:
                        raise LayerError("layer is truncated: the gzip stream ends early")
                    return 0
            if not self.in_member:
                # zero padding after the last member is tolerated (as gzip(1) does)
                data = data.lstrip(b"\0")
                if not data:
                    continue
            self.in_member = True
            try:
                out = self.d.decompress(data, want)
            except Exception as exc:  # zlib.error or isal_zlib.error
                raise LayerError(f"layer is not valid gzip: {exc}") from exc
            if self.d.eof:
                self.pending = self.d.unused_data
                self.d = self.zmod.decompressobj(31)
                self.in_member = False
            if out:
                n = len(out)
                view[:n] = out
                return n


def sniff_bytes(head: bytes) -> str:
    """``gzip``, ``zstd`` or ``tar`` from the first bytes (the media type may lie)."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "tar"


class LayerSource:
    """An opened layer blob (raw, unbuffered), its kind (``gzip``/``zstd``/``tar``) and the
    diff_id the image config promises for it."""

    __slots__ = ("diff_id", "digest", "fh", "kind")

    def __init__(self, fh: IO[bytes], kind: str, diff_id: str, digest: str) -> None:
        self.fh = fh
        self.kind = kind
        self.diff_id = diff_id
        self.digest = digest

    def stream(self) -> IO[bytes]:
        if self.kind == "gzip":
            return io.BufferedReader(_GzipMembers(self.fh), CHUNK)
        if self.kind == "zstd":
            import zstandard  # noqa: PLC0415 - imported before the chroot (unpack._preload)

            reader = zstandard.ZstdDecompressor().stream_reader(
                self.fh, read_size=CHUNK, read_across_frames=True
            )
            return io.BufferedReader(reader, CHUNK)
        return self.fh


class _Pipeline(io.RawIOBase):
    """Decompression and diff_id hashing in two threads, feeding the tar reader.

    zlib/isal and hashlib release the GIL on big buffers, so on two cores the tar
    parsing and file writes of the main thread overlap with decompressing and hashing
    (sha256 without SHA-NI runs at ~200 MB/s: it is the largest cost of a big layer).
    """

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.out: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self.to_hash: queue.Queue[bytes] = queue.Queue(maxsize=16)
        self.h = hashlib.sha256()
        self.error: BaseException | None = None
        self.buf = memoryview(b"")
        self.eof = False
        self.threads = [
            threading.Thread(target=self._produce, daemon=True),
            threading.Thread(target=self._hash, daemon=True),
        ]
        for t in self.threads:
            t.start()

    def readable(self) -> bool:
        return True

    def _produce(self) -> None:
        try:
            while True:
                data = self.inner.read(CHUNK)
                self.to_hash.put(data)
                self.out.put(data)
                if not data:
                    return
        except BaseException as exc:
            self.error = exc
            self.to_hash.put(b"")
            self.out.put(None)

    def _hash(self) -> None:
        while True:
            data = self.to_hash.get()
            if not data:
                return
            self.h.update(data)

    def readinto(self, buffer: Any) -> int:
        if not self.buf:
            if self.eof:
                return 0
            item = self.out.get()
            if item is None:
                assert self.error is not None
                raise self.error
            if not item:
                self.eof = True
                return 0
            self.buf = memoryview(item)
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self.buf))
        view[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n

    def digest(self) -> str:
        """The sha256 of the whole stream, once it has been read to the end."""
        for t in self.threads:
            t.join()
        if self.error is not None:
            raise self.error
        return "sha256:" + self.h.hexdigest()


# --------------------------------------------------------------------------------------
# reading tar streams

_ZERO_BLOCK = bytes(512)


class Entry:
    """One tar entry's header (the fields the applier uses)."""

    __slots__ = ("gid", "linkname", "mode", "mtime", "name", "pax_headers", "size", "type", "uid")

    def __init__(  # noqa: PLR0917 - the header's fields, in order
        self,
        name: str,
        kind: bytes,
        mode: int,
        uid: int,
        gid: int,
        size: int,
        mtime: float,
        linkname: str,
    ) -> None:
        self.name = name
        self.type = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
        self.linkname = linkname
        self.pax_headers: dict[str, str] = {}

    def isreg(self) -> bool:
        return self.type in _REGULAR

    def isdir(self) -> bool:
        return self.type == b"5"

    def issym(self) -> bool:
        return self.type == b"2"

    def islnk(self) -> bool:
        return self.type == b"1"

    def ischr(self) -> bool:
        return self.type == b"3"

    def isblk(self) -> bool:
        return self.type == b"4"

    def isfifo(self) -> bool:
        return self.type == b"6"


_REGULAR = (b"0", b"\0", b"7")
_KNOWN = frozenset((b"0", b"\0", b"7", b"1", b"2", b"3", b"4", b"5", b"6"))


def _num(field: bytes) -> int:
    """A tar number: octal ASCII (NUL/space terminated) or GNU base-256."""
    if field and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        if field[0] & 0x40:  # negative
            value -= 1 << (8 * (len(field) - 1))
        return value
    text = field.split(b"\0", 1)[0].strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise LayerError(f"layer has a corrupt tar header (bad number {field!r})") from exc


def _str(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _parse_header(block: bytes) -> Entry:
    """Parse a 512-byte ustar/GNU header, verifying its checksum."""
    stored = _num(block[148:156])
    unsigned = sum(block[:148]) + 256 + sum(block[156:])
    if stored != unsigned:
        signed = sum(b - 256 if b > 127 else b for b in block[:148] + bytes(8) + block[156:]) + 256
        if stored != signed:
            raise LayerError("layer has a corrupt tar header (bad checksum)")
    name = _str(block[0:100])
    magic = block[257:263]
    if magic == b"ustar\0":  # POSIX ustar: a prefix field extends the name
        prefix = _str(block[345:500])
        if prefix:
            name = prefix + "/" + name
    kind = block[156:157] or b"\0"
    if kind == b"\0" and name.endswith("/"):
        kind = b"5"
    return Entry(
        name,
        kind,
        _num(block[100:108]),
        _num(block[108:116]),
        _num(block[116:124]),
        _num(block[124:136]),
        float(_num(block[136:148])),
        _str(block[157:257]),
    )


class TarReader:
    """A streaming tar reader that owns the data path.

    Each 512-byte header (ustar, GNU, checksums, base-256 numbers) is parsed here; GNU long
    names/links and PAX records (``x`` per entry, ``g``
    global: path, linkpath, size, uid, gid, mtime, ``SCHILY.xattr.*``) are handled here.
    File contents are copied straight from the buffered stream to the file descriptor in
    1 MiB ``readinto`` calls: ``tarfile``'s own stream slices its buffer on every read,
    which cost more than decompressing and hashing together on a 300 MB image.
    Sparse entries are refused (image builders do not produce them).
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.left = 0  # data bytes of the current entry not consumed yet
        self.pad = 0
        self.global_pax: dict[str, str] = {}
        self.buf = bytearray(CHUNK)

    def _exact(self, n: int) -> bytes:
        data = self.stream.read(n)
        if len(data) != n:
            raise LayerError("layer is truncated: the tar stream ends inside an entry")
        return data

    def _skip_rest(self) -> None:
        todo = self.left + self.pad
        while todo:
            chunk = self.stream.read(min(todo, CHUNK))
            if not chunk:
                raise LayerError("layer is truncated: the tar stream ends inside an entry")
            todo -= len(chunk)
        self.left = self.pad = 0

    def _data(self, size: int) -> bytes:
        if size > 16 * 1024 * 1024:
            raise LayerError(f"tar metadata record of {size} bytes is absurd; refusing the layer")
        data = self._exact(size)
        pad = (512 - size % 512) % 512
        if pad:
            self._exact(pad)
        return data

    def next(self) -> Entry | None:
        """The next entry (its data must be read with :meth:`copy_to` or is skipped)."""
        self._skip_rest()
        pax: dict[str, str] = {}
        long_name: str | None = None
        long_link: str | None = None
        while True:
            block = self.stream.read(512)
            if len(block) < 512 or block == _ZERO_BLOCK:
                if block and block != _ZERO_BLOCK[: len(block)]:
                    raise LayerError("layer is truncated: a partial tar header at the end")
                return None  # end of archive
            info = _parse_header(block)
            kind = info.type
            if kind in (b"x", b"g", b"X"):
                records = _parse_pax(self._data(info.size))
                if kind == b"g":
                    self.global_pax.update(records)
                else:
                    pax.update(records)
                continue
            if kind == b"L":
                long_name = self._data(info.size).rstrip(b"\0").decode("utf-8", "surrogateescape")
                continue
            if kind == b"K":
                long_link = self._data(info.size).rstrip(b"\0").decode("utf-8", "surrogateescape")
                continue
            break
        merged = {**self.global_pax, **pax}
        if kind == b"S" or any(k.startswith("GNU.sparse.") for k in merged):
            raise LayerError(f"layer entry {info.name!r} is a sparse file, which is not supported")
        if long_name is not None:
            info.name = long_name
        if long_link is not None:
            info.linkname = long_link
        for key, value in merged.items():
            try:
                if key == "path":
                    info.name = value
                elif key == "linkpath":
                    info.linkname = value
                elif key == "size":
                    info.size = int(value)
                elif key == "uid":
                    info.uid = int(value)
                elif key == "gid":
                    info.gid = int(value)
                elif key == "mtime":
                    info.mtime = float(value)
            except ValueError as exc:
                raise LayerError(f"layer has a malformed PAX record {key}={value!r}") from exc
        info.pax_headers = merged
        if info.size < 0:
            raise LayerError("layer has an entry with a negative size")
        has_data = kind in _REGULAR or kind not in _KNOWN
        self.left = info.size if has_data else 0
        self.pad = (512 - self.left % 512) % 512 if self.left else 0
        return info

    def read_data(self) -> bytes:
        """The current entry's data, in memory (small files)."""
        data = self.stream.read(self.left)
        if len(data) != self.left:
            raise LayerError("layer is truncated: the tar stream ends inside a file")
        self.left = 0
        return data

    def copy_to(self, fd: int) -> int:
        """Write the current entry's data to ``fd``; the number of bytes."""
        total = 0
        view = memoryview(self.buf)
        while self.left:
            want = min(self.left, CHUNK)
            n = self.stream.readinto(view[:want])  # type: ignore[attr-defined]
            if not n:
                raise LayerError("layer is truncated: the tar stream ends inside a file")
            out = view[:n]
            while out:
                written = os.write(fd, out)
                out = out[written:]
            self.left -= n
            total += n
        return total


def _parse_pax(data: bytes) -> dict[str, str]:
    """PAX extended header records: ``"%d %s=%s\n"`` (the length counts the whole record)."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:
            break
        space = data.find(b" ", pos)
        if space < 0:
            raise LayerError("layer has a malformed PAX header")
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise LayerError("layer has a malformed PAX header") from exc
        if length <= space - pos + 1 or pos + length > len(data):
            raise LayerError("layer has a malformed PAX header")
        record = data[space + 1 : pos + length - 1]
        key, eq, value = record.partition(b"=")
        if not eq:
            raise LayerError("layer has a malformed PAX record")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


# --------------------------------------------------------------------------------------
# names


def clean_name(name: str, *, what: str = "entry") -> str:
    """A layer path as a clean path relative to the root (``.`` for the root itself).

    A leading ``/`` is stripped, ``.`` and empty components dropped, ``..`` resolved
    lexically; a name that climbs above the root is refused.
    """
    if "\0" in name:
        raise LayerError(f"layer {what} name contains a NUL byte: {name!r}")
    if len(name) > MAX_NAME:
        raise LayerError(f"layer {what} name is longer than {MAX_NAME} bytes")
    parts: list[str] = []
    for comp in name.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if not parts:
                raise LayerError(f"layer {what} {name!r} points outside the root filesystem")
            parts.pop()
            continue
        parts.append(comp)
    return "/".join(parts) or "."


def _has_symlink_parent(path: str) -> bool:
    """True when a parent component of ``path`` is a symlink (or not a directory)."""
    parts = path.split("/")[:-1]
    cur = ""
    for comp in parts:
        cur = f"{cur}/{comp}" if cur else comp
        try:
            st = os.lstat(cur)
        except FileNotFoundError:
            return False
        if not stat.S_ISDIR(st.st_mode):
            return True
    return False


# --------------------------------------------------------------------------------------
# applying


class _Job:
    """One queued write; :meth:`result` waits for it and re-raises its failure."""

    __slots__ = ("args", "error", "fn", "lock")

    def __init__(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.lock.acquire()  # released when the job has run

    def run(self) -> None:
        try:
            self.fn(*self.args)
        except BaseException as exc:  # handed to whoever waits for the result
            self.error = exc
        finally:
            self.lock.release()

    def result(self) -> None:
        with self.lock:
            pass
        if self.error is not None:
            raise self.error


class _WriterPool:
    """A few daemon threads running queued writes in order of submission (what the applier
    needs of ``concurrent.futures.ThreadPoolExecutor``, whose import, with ``logging``,
    costs the unpacking child more than a small layer's writes)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []

    def submit(self, fn: Callable[..., None], *args: Any) -> _Job:
        job = _Job(fn, args)
        self.jobs.put(job)
        if len(self.threads) < self.workers:  # started on demand
            thread = threading.Thread(
                target=self._run, name=f"write-{len(self.threads)}", daemon=True
            )
            thread.start()
            self.threads.append(thread)
        return job

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            job.run()

    def shutdown(self) -> None:
        """Stop the threads once the queued jobs are done."""
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        self.threads = []


class Applier:
    """Applies layers in order to the current root (``/`` in the chroot, or any dir as cwd)."""

    def __init__(  # noqa: PLR0917 - plain settings, in their old order
        self,
        squash: bool,
        id_range: int = 65536,
        stats: ApplyStats | None = None,
        free_space: Callable[[], int] | None = None,
        warn: Callable[[str], None] | None = None,
        parallel_writes: int = 2,
    ) -> None:
        self.squash = squash  # single mapping: every owner becomes root
        self.id_range = id_range  # how many ids the namespace maps (for a clear lchown error)
        self.stats = ApplyStats() if stats is None else stats
        self.free_space = free_space
        self.warn = warn
        #: writer threads for small files (0: write everything in the calling thread)
        self.parallel_writes = parallel_writes
        self.writers: _WriterPool | None = None
        if self.parallel_writes:
            self.writers = _WriterPool(self.parallel_writes)

    def apply(self, source: LayerSource) -> str:
        """Apply one layer; its diff_id (verified against ``source.diff_id``)."""
        pipeline = _Pipeline(source.stream())
        reader = io.BufferedReader(pipeline, CHUNK)
        self.unpacked: set[str] = set()
        self.dirs: list[tuple[str, int, float]] = []
        # directories known to be real directories in this layer (saves a stat per entry),
        # and those this layer created (nothing lower can exist inside them)
        self.known_dirs: set[str] = set()
        self.pending: dict[str, Any] = {}  # path -> the _Job of its write
        self.queue: collections.deque[tuple[str, Any]] = collections.deque()
        self.fresh: set[str] = set()
        self.ancestors: set[str] = set()  # parents of this layer's entries
        with os.scandir(".") as it:
            if next(it, None) is None:
                self.fresh.add(".")
        tar = TarReader(reader)
        try:
            try:
                while True:
                    member = tar.next()
                    if member is None:
                        break
                    self._member(tar, member)
            finally:
                self._flush()
        except (EOFError, zlib.error) as exc:
            raise LayerError(f"layer {source.digest} is corrupt or truncated: {exc}") from exc
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise LayerError("no space left on the device holding the image store") from exc
            raise
        # the diff_id covers the whole stream, including the tar's end blocks and padding
        try:
            while reader.read(CHUNK):
                pass
            got = pipeline.digest()
        except (EOFError, zlib.error) as exc:
            raise LayerError(f"layer {source.digest} is corrupt or truncated: {exc}") from exc
        self._finish_dirs()
        if source.diff_id and got != source.diff_id:
            raise LayerError(
                f"layer {source.digest} does not match the image config: its uncompressed "
                f"content hashes to {got}, the config says {source.diff_id}; refusing it"
            )
        return got

    # ------------------------------------------------------------------ entries
    def _member(self, tf: TarReader, m: Entry) -> None:
        self.stats.entries += 1
        name = clean_name(m.name)
        parent, _, base = name.rpartition("/")
        if name in self.pending:
            self._flush()  # the same path again: let the earlier write land first
        if base.startswith(".wh."):
            self._flush()  # whiteouts look at what is on disk
            self._whiteout(parent, base)
            return
        if name != ".":
            self._make_parents(parent)
            self._note_ancestors(parent)
        if m.ischr() or m.isblk():
            self.stats.devices_skipped.append("/" + name)
            return
        if m.isreg() and m.size > 0 and self.free_space is not None:
            free = self.free_space()
            if m.size > free:
                raise LayerError(
                    f"layer entry /{name} claims {m.size} bytes, more than the "
                    f"{free} bytes free in the image store; refusing it"
                )
        target_link: str | None = None
        if m.islnk():
            target_link = clean_name(m.linkname, what="hardlink target")
            if target_link == ".":
                raise LayerError(f"hardlink /{name} points at the root directory")
        if name != "." and (parent or ".") in self.fresh and name not in self.unpacked:
            existing = None  # a directory this layer created holds only this layer's entries
        else:
            existing = _lstat(name)
        if existing is not None:
            if m.isdir() and stat.S_ISDIR(existing.st_mode):
                pass  # only the metadata changes
            elif name == ".":
                raise LayerError("layer replaces the root directory with a non-directory")
            elif target_link is not None and target_link == name:
                return  # a hardlink to itself: nothing to do
            else:
                self._rm(name, existing)
        if m.isdir():
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                os.mkdir(name, 0o700)
                self.fresh.add(name)
            self.known_dirs.add(name)
            self._own(name, m)
            self.dirs.append((name, stat.S_IMODE(m.mode), float(m.mtime)))
            self._xattrs(name, m)
            self.unpacked.add(name)
            return
        if m.isreg():
            self._regular(tf, m, name)
            self.unpacked.add(name)
            return
        if m.issym():
            os.symlink(m.linkname, name)
            self._own(name, m)
        elif target_link is not None:
            self._flush()  # the target may still be in a writer's hands
            self._hardlink(name, target_link)
            self.unpacked.add(name)
            return  # a hardlink shares the target's inode: no metadata of its own
        elif m.isfifo():
            os.mkfifo(name, 0o600)
            self._own(name, m)
            os.chmod(name, stat.S_IMODE(m.mode))
        else:
            raise LayerError(f"layer entry /{name} has an unsupported type {m.type!r}")
        self._xattrs(name, m)
        with contextlib.suppress(OSError):
            os.utime(name, (m.mtime, m.mtime), follow_symlinks=False)
        self.unpacked.add(name)

    def _regular(self, tf: TarReader, m: Entry, name: str) -> None:
        mode = stat.S_IMODE(m.mode)
        ids = self._ids(m)
        if m.size <= SMALL_FILE and self.writers is not None:
            # small files are written by a writer thread while this one parses on: file
            # creation is latency-bound (journal, page allocation), not CPU-bound
            data = tf.read_data() if m.size else b""
            self.stats.bytes += len(data)
            if len(self.queue) >= MAX_PENDING:
                self._wait_oldest()
            fut = self.writers.submit(self._write_small, name, data, mode, ids, m)
            self.pending[name] = fut
            self.queue.append((name, fut))
            return
        self._write_file(tf, m, name, mode, ids)
        self._xattrs(name, m)

    def _write_small(
        self, name: str, data: bytes, mode: int, ids: tuple[int, int] | None, m: Entry
    ) -> None:
        simple = (ids is None or ids == (0, 0)) and not mode & 0o7000
        fd = os.open(
            name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            mode if simple else 0o600,
        )
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            self._finish_fd(fd, name, mode=mode, ids=ids, simple=simple, mtime=m.mtime)
        finally:
            os.close(fd)
        self._xattrs(name, m)

    def _wait_oldest(self) -> None:
        name, fut = self.queue.popleft()
        fut.result()
        if self.pending.get(name) is fut:
            del self.pending[name]

    def _flush(self) -> None:
        """Wait for every pending write (re-raising the first failure)."""
        while self.queue:
            self._wait_oldest()

    def _finish_fd(
        self,
        fd: int,
        name: str,
        *,
        mode: int,
        ids: tuple[int, int] | None,
        simple: bool,
        mtime: float,
    ) -> None:
        if ids is not None and (not simple or os.fstat(fd).st_gid != 0):
            # (a setgid parent directory hands its group to new files)
            try:
                os.fchown(fd, *ids)
            except OSError as exc:
                raise self._chown_error(exc, name, ids) from exc
        if not simple:
            os.fchmod(fd, mode)
        os.utime(fd, (mtime, mtime))

    def _write_file(
        self, tf: TarReader, m: Entry, name: str, mode: int, ids: tuple[int, int] | None
    ) -> None:
        # root-owned plain files (most of an image) are created with their final mode and
        # need no chown; others get chown first, then chmod (chown clears setuid/setgid)
        simple = (ids is None or ids == (0, 0)) and not mode & 0o7000
        fd = os.open(
            name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            mode if simple else 0o600,
        )
        try:
            if m.size:
                self.stats.bytes += tf.copy_to(fd)
            self._finish_fd(fd, name, mode=mode, ids=ids, simple=simple, mtime=m.mtime)
        finally:
            os.close(fd)

    def _hardlink(self, name: str, target: str) -> None:
        st = _lstat(target)
        if st is None:
            raise LayerError(
                f"hardlink /{name} points at /{target}, which does not exist in the image"
            )
        if stat.S_ISDIR(st.st_mode):
            raise LayerError(f"hardlink /{name} points at a directory (/{target})")
        if _has_symlink_parent(target):
            raise LayerError(f"hardlink /{name} reaches /{target} through a symlink; refusing it")
        os.link(target, name, follow_symlinks=False)

    def _make_parents(self, parent: str) -> None:
        if not parent or parent in self.known_dirs:
            return
        cur = ""
        for comp in parent.split("/"):
            cur = f"{cur}/{comp}" if cur else comp
            if cur in self.known_dirs:
                continue
            if cur in self.pending:
                self._flush()
            st = _lstat(cur)
            if st is None:
                os.mkdir(cur, 0o755)
                self.unpacked.add(cur)
                self.fresh.add(cur)
                self.known_dirs.add(cur)
            elif stat.S_ISDIR(st.st_mode):
                self.known_dirs.add(cur)
            elif stat.S_ISLNK(st.st_mode):
                # a lower layer's symlink on the way: follow it, inside the chroot, like
                # containers/storage; it must lead to a directory
                if not os.path.isdir(cur):
                    raise LayerError(
                        f"/{cur} is a symlink to a non-directory, cannot create entries below it"
                    )
            else:
                # a file where this layer needs a directory: the directory wins
                os.unlink(cur)
                os.mkdir(cur, 0o755)
                self.unpacked.add(cur)
                self.fresh.add(cur)
                self.known_dirs.add(cur)

    # ------------------------------------------------------------------ whiteouts
    def _whiteout(self, parent: str, base: str) -> None:
        self.stats.whiteouts += 1
        if base == ".wh..wh..opq":
            self._opaque(parent or ".")
            return
        if base.startswith(".wh..wh."):
            return  # other AUFS metadata (.wh..wh.plnk, ...): never materialised
        victim_base = base[4:]
        if victim_base in ("", ".", "..") or "/" in victim_base:
            raise LayerError(f"invalid whiteout {base!r} in /{parent}")
        victim = f"{parent}/{victim_base}" if parent else victim_base
        if victim in self.unpacked or _has_symlink_parent(victim):
            return  # same-layer entries survive; nothing lower is reachable through a symlink
        st = _lstat(victim)
        if st is not None:
            self._rm(victim, st)

    def _opaque(self, directory: str) -> None:
        if directory != "." and _has_symlink_parent(directory + "/x"):
            return
        st = _lstat(directory)
        if st is None:
            self._make_parents(directory + "/x")
            return
        if not stat.S_ISDIR(st.st_mode):
            return
        self._clear_lower(directory)
        self.unpacked.add(directory)

    def _clear_lower(self, directory: str) -> None:
        prefix = "" if directory == "." else directory + "/"
        with os.scandir(directory) as it:
            children = list(it)
        for entry in children:
            path = prefix + entry.name
            if path in self.unpacked or path in self.ancestors:
                if entry.is_dir(follow_symlinks=False):
                    self._clear_lower(path)
                continue
            self._rm(path, os.lstat(path))

    def _rm(self, path: str, st: os.stat_result) -> None:
        """Remove ``path`` and forget what the caches knew about it and below it."""
        _remove(path, st)
        if stat.S_ISDIR(st.st_mode):
            below = path + "/"
            for cache in (self.known_dirs, self.fresh, self.ancestors):
                stale = [p for p in cache if p == path or p.startswith(below)]
                cache.difference_update(stale)

    def _note_ancestors(self, parent: str) -> None:
        while parent and parent not in self.ancestors:
            self.ancestors.add(parent)
            parent = parent.rpartition("/")[0]

    # ------------------------------------------------------------------ metadata
    def _ids(self, m: Entry) -> tuple[int, int] | None:
        if self.squash:
            if m.uid or m.gid:
                self.stats.squashed += 1
            return None
        return m.uid, m.gid

    def _own(self, name: str, m: Entry) -> None:
        ids = self._ids(m)
        if ids is None:
            return
        try:
            os.lchown(name, *ids)
        except OSError as exc:
            raise self._chown_error(exc, name, ids) from exc

    def _chown_error(self, exc: OSError, name: str, ids: tuple[int, int]) -> Exception:
        if exc.errno == errno.EINVAL:
            return LayerError(
                f"potentially insufficient UIDs or GIDs available in user namespace (requested "
                f"{ids[0]}:{ids[1]} for /{name}): the namespace maps {self.id_range} ids",
                hint="give the user a larger range in /etc/subuid and /etc/subgid",
                check_id="subid-ranges",
            )
        return exc

    def _xattrs(self, name: str, m: Entry) -> None:
        if not m.pax_headers:
            return
        for key, value in m.pax_headers.items():
            if key.startswith("SCHILY.xattr."):
                attr = key[len("SCHILY.xattr.") :]
                raw = value.encode("utf-8", "surrogateescape")
            elif key.startswith("LIBARCHIVE.xattr."):
                attr = key[len("LIBARCHIVE.xattr.") :]
                try:
                    raw = base64.b64decode(value + "==")
                except ValueError:
                    continue
            else:
                continue
            if attr.startswith(("trusted.", "user.overlay.")) or not attr.startswith(
                ("user.", "security.")
            ):
                self.stats.xattrs_skipped += 1
                continue
            try:
                os.setxattr(name, attr, raw, follow_symlinks=False)
            except OSError as exc:
                if exc.errno in (
                    errno.EPERM,
                    errno.ENOTSUP,
                    errno.EOPNOTSUPP,
                    errno.EACCES,
                    errno.EINVAL,
                ):
                    self.stats.xattrs_skipped += 1
                    continue
                raise

    def _finish_dirs(self) -> None:
        for name, mode, mtime in reversed(self.dirs):
            try:
                st = os.lstat(name)
                if not stat.S_ISDIR(st.st_mode):
                    continue
                os.chmod(name, mode)
                os.utime(name, (mtime, mtime), follow_symlinks=False)
            except FileNotFoundError:
                continue


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None


def _remove(path: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, onerror=_rm_retry)
    else:
        os.unlink(path)


def _rm_retry(func: Any, path: str, exc_info: Any) -> None:
    del exc_info
    parent = os.path.dirname(path) or "."
    os.chmod(parent, 0o700)
    func(path)


def free_space_of(path: str) -> Callable[[], int]:
    def probe() -> int:
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize

    return probe
