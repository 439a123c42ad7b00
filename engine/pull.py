"""``rootless engine pull``: resolve, negotiate, download (verified, concurrent), unpack.

The sequence, for one reference:

1. resolve the name through registries.conf (aliases, search registries, ``[[registry]]``
   prefixes with ``location``, ``insecure``, ``blocked`` and mirrors);
2. fetch the manifest; from an index or manifest list pick the host platform (or
   ``--platform``), skipping ``unknown/unknown`` attestation entries;
3. fetch and verify the config, then download the missing layers concurrently (6 at a
   time, as containers/image), each hashed while streaming into ``<store>/tmp`` and renamed
   into the OCI layout only once verified;
4. meanwhile unpack each verified layer, in order, in a user namespace (see :mod:`unpack`;
   the unpacking child is forked before step 2, while the process has no threads);
5. point the name at the manifest in ``index.json``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping

from rootless.engine import ref as refmod
from rootless.engine.auth import find_credentials
from rootless.engine.registry import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Descriptor,
    Registry,
    RegistryError,
)
from rootless.engine.store import ImageRecord, Store
from rootless.errors import RootlessError

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the hot path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TextIO

    from rootless.engine.unpack import Worker

LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar",
}
CONFIG_TYPES = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
}
MAX_PARALLEL = 6


class PullResult:
    """What a pull did (``record`` is the image as stored)."""

    def __init__(  # noqa: PLR0917 - plain fields, in their old order
        self,
        record: ImageRecord,
        reference: refmod.Reference,
        registry: str,
        downloaded: int = 0,
        reused: int = 0,
        layers: int = 0,
        unpacked: bool = False,
        warnings: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.record = record
        self.reference = reference
        self.registry = registry
        self.downloaded = downloaded
        self.reused = reused
        self.layers = layers
        self.unpacked = unpacked
        self.warnings: list[str] = [] if warnings is None else warnings
        self.notes: list[str] = [] if notes is None else notes

    def __repr__(self) -> str:
        return f"PullResult({vars(self)!r})"


class Reporter:
    """Progress: a rich display on a terminal, silence otherwise."""

    def start(self, layers: list[Descriptor], have: set[str]) -> None: ...
    def advance(self, digest: str, amount: int) -> None: ...
    def done(self, digest: str) -> None: ...
    def stop(self) -> None: ...
    def status(self, text: str) -> None: ...


class RichReporter(Reporter):
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        self.total: Any = None
        self.lock = threading.Lock()

    def start(self, layers: list[Descriptor], have: set[str]) -> None:
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        console = Console(file=self.stream, no_color=bool(os.environ.get("NO_COLOR")))
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=False,
        )
        self.progress.start()
        todo = [d for d in layers if d.digest not in have]
        self.total = self.progress.add_task("total", total=sum(d.size for d in todo) or 1)
        for d in layers:
            short = d.digest.split(":", 1)[1][:12]
            if d.digest in have:
                self.tasks[d.digest] = self.progress.add_task(
                    f"{short} (exists)", total=d.size or 1, completed=d.size or 1
                )
            else:
                self.tasks[d.digest] = self.progress.add_task(short, total=d.size or 1)

    def advance(self, digest: str, amount: int) -> None:
        with self.lock:
            if self.progress is not None:
                self.progress.advance(self.tasks[digest], amount)
                self.progress.advance(self.total, amount)

    def done(self, digest: str) -> None:
        with self.lock:
            if self.progress is not None:
                task = self.tasks[digest]
                self.progress.update(task, completed=self.progress.tasks[task].total)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()  # joins rich's refresh thread: required before fork
            self.progress = None

    def status(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def make_reporter(quiet: bool, stream: TextIO | None = None) -> Reporter:
    stream = stream or sys.stderr
    if not quiet and stream.isatty() and os.environ.get("TERM") != "dumb":
        return RichReporter(stream)
    return Reporter()


# --------------------------------------------------------------------------------------


def select_platform(
    index: Mapping[str, Any], wanted: tuple[str, str, str | None], image: str
) -> Descriptor:
    """The manifest of ``index`` for platform ``wanted`` (os, arch, variant).

    Attestation entries (``unknown/unknown``, ``vnd.docker.reference.type``) never match.
    Without a variant match, an entry without a variant is taken (containers/image does
    the same for arm64 ``v8``).
    """
    want_os, want_arch, want_variant = wanted
    exact: list[Descriptor] = []
    loose: list[Descriptor] = []
    seen: list[str] = []
    for raw in index.get("manifests", []) or []:
        if not isinstance(raw, Mapping):
            continue
        desc = Descriptor.from_json(raw, image)
        if "vnd.docker.reference.type" in desc.annotations:
            continue
        plat = desc.platform or {}
        p_os, p_arch = str(plat.get("os", "")), str(plat.get("architecture", ""))
        if p_os in ("", "unknown") or p_arch in ("", "unknown"):
            continue
        p_variant = plat.get("variant")
        seen.append(f"{p_os}/{p_arch}" + (f"/{p_variant}" if p_variant else ""))
        if desc.media_type and desc.media_type not in MANIFEST_TYPES:
            continue
        if p_os != want_os or refmod.normalize_arch(p_arch) != want_arch:
            continue
        if want_variant is None or p_variant == want_variant:
            exact.append(desc)
        elif not p_variant:
            loose.append(desc)
    if exact:
        return exact[0]
    if loose:
        return loose[0]
    label = "/".join(p for p in wanted if p)
    available = ", ".join(seen) or "none"
    raise RegistryError(
        f"{image} has no image for platform {label} (available: {available})",
        hint="choose one with --platform OS/ARCH[/VARIANT]",
    )


class _Endpoint:
    __slots__ = ("registry", "repo")

    def __init__(self, registry: Registry, repo: str) -> None:
        self.registry = registry
        self.repo = repo  # path on that registry


def _endpoints(
    ref: refmod.Reference, conf: refmod.RegistriesConf, tls_verify: bool | None, timeout: float
) -> list[_Endpoint]:
    entry = conf.registry_for(ref.repository)
    repository = ref.repository
    insecure = False
    mirrors: list[refmod.Endpoint] = []
    if entry is not None:
        if entry.blocked:
            raise RootlessError(
                f"registry {ref.domain} is blocked in registries.conf ([[registry]] prefix "
                f'"{entry.prefix}" has blocked = true)'
            )
        if not entry.prefix.startswith("*.") and entry.location != entry.prefix:
            repository = entry.location + repository[len(entry.prefix) :]
        insecure = entry.insecure
        for m in entry.mirrors:
            if m.pull_from_mirror == "digest-only" and not ref.digest:
                continue
            if m.pull_from_mirror == "tag-only" and ref.digest:
                continue
            mirrors.append(m)
    out: list[_Endpoint] = []
    targets = [
        (m.location + repository[len(entry.location) :] if entry else m.location, m.insecure)
        for m in mirrors
    ]
    targets.append((repository, insecure))
    for location, loc_insecure in targets:
        host, _, path = location.partition("/")
        if host == "docker.io" and path and "/" not in path:
            path = f"library/{path}"
        verify = (not loc_insecure) if tls_verify is None else tls_verify
        endpoint = refmod.DOCKER_IO_ENDPOINT if host == refmod.DOCKER_IO else host
        reg = Registry(
            name=host,
            host=endpoint,
            credentials=find_credentials(host, path),
            tls_verify=verify,
            allow_http=not verify,
            timeout=timeout,
        )
        out.append(_Endpoint(reg, path))
    return out


def pull(
    text: str,
    *,
    store: Store,
    platform: str | None = None,
    tls_verify: bool | None = None,
    reporter: Reporter | None = None,
    timeout: float = 60.0,
    mapping: str = "auto",
    registry_factory: Callable[[Registry], Registry] | None = None,
) -> PullResult:
    """Pull ``text`` into ``store``; tries each short-name candidate in turn."""
    from rootless.engine.unpack import Worker  # noqa: PLC0415

    reporter = reporter or Reporter()
    conf = refmod.RegistriesConf.load()
    candidates = conf.resolve(text)
    wanted = refmod.canonical_platform(platform) if platform else refmod.host_platform()
    errors: list[RootlessError] = []
    # the unpacking child is forked now, while no thread runs: its namespace set-up and
    # imports overlap with the registry round trips (unused when the image is unpacked)
    worker = Worker(mapping).spawn()
    try:
        for ref in candidates:
            for ep in _endpoints(ref, conf, tls_verify, timeout):
                if registry_factory is not None:
                    ep.registry = registry_factory(ep.registry)
                try:
                    return _pull_from(
                        ref,
                        ep=ep,
                        store=store,
                        wanted=wanted,
                        reporter=reporter,
                        mapping=mapping,
                        worker=worker if worker.available else None,
                    )
                except RegistryError as exc:
                    errors.append(exc)  # podman tries the next candidate or mirror
                finally:
                    ep.registry.close()
    finally:
        worker.close()
    if len(errors) == 1:
        raise errors[0]
    details = "; ".join(e.message for e in errors)
    raise RootlessError(f"pulling {text} failed from every candidate: {details}")


def _pull_from(
    ref: refmod.Reference,
    *,
    ep: _Endpoint,
    store: Store,
    wanted: tuple[str, str, str | None],
    reporter: Reporter,
    mapping: str,
    worker: Worker | None = None,
) -> PullResult:
    from rootless.engine.unpack import LayerToApply, Unpacker  # noqa: PLC0415

    reg, repo = ep.registry, ep.repo
    image = str(ref) if ref.digest else ref.name
    store.ensure()
    with store.gc_lock(shared=True):
        top = reg.get_manifest(repo, ref.manifest_ref, image)
        index_digest: str | None = None
        manifest = top
        if top.media_type in INDEX_TYPES:
            index_digest = top.digest
            chosen = select_platform(top.json(), wanted, image)
            manifest = reg.get_manifest(repo, chosen.digest, image)
            if manifest.media_type not in MANIFEST_TYPES:
                raise RegistryError(
                    f"{image}: the platform entry is not an image manifest ({manifest.media_type})"
                )
        data = manifest.json()
        config_desc, layer_descs = _parse_manifest(data, image)
        if store.has_blob(config_desc.digest, config_desc.size):
            config_bytes = store.read_blob(config_desc.digest)
        else:
            config_bytes = reg.get_small_blob(repo, config_desc, image)
            store.put_blob(config_desc.digest, config_bytes)
        config = _parse_config(config_bytes, image)
        diff_ids = config.get("rootfs", {}).get("diff_ids") or []
        if len(diff_ids) != len(layer_descs):
            raise RegistryError(
                f"{image}: the config lists {len(diff_ids)} diff_ids for {len(layer_descs)} layers"
            )
        wanted_os = wanted[0]
        if config.get("os") and config.get("os") != wanted_os:
            raise RegistryError(f"{image} is an image for {config.get('os')}, not {wanted_os}")

        unique: dict[str, Descriptor] = {}
        for d in layer_descs:
            unique.setdefault(d.digest, d)
        have = {d for d, desc in unique.items() if store.has_blob(d, desc.size)}
        todo = [desc for d, desc in unique.items() if d not in have]
        result = PullResult(
            record=None,  # type: ignore[arg-type]
            reference=ref,
            registry=reg.name,
            layers=len(layer_descs),
            reused=len(have),
        )
        # the child (forked by pull() before the first request, or now, while this process
        # has no threads) applies each layer as soon as its blob is verified, while later
        # layers still download
        job = Unpacker(
            store,
            config_desc.digest,
            [
                LayerToApply(d.digest, str(x), d.media_type)
                for d, x in zip(layer_descs, diff_ids, strict=True)
            ],
            mode=mapping,
            worker=worker,
        )
        try:
            feeder = _Feeder(job, [d.digest for d in layer_descs], have) if job.start() else None
            if feeder is not None:
                feeder.flush()
            reporter.start(list(unique.values()), have)
            try:
                result.downloaded = _download_all(
                    reg,
                    repo,
                    todo=todo,
                    store=store,
                    image=image,
                    reporter=reporter,
                    on_stored=feeder.stored if feeder else None,
                )
            finally:
                reporter.stop()
            reg.close()
            store.put_blob(manifest.digest, manifest.body)
            unpacked = job.finish()
        except BaseException:
            job.abort()
            raise
        result.unpacked = unpacked.created
        if unpacked.warning:
            result.warnings.append(unpacked.warning)
        elif not unpacked.info.full_mapping:
            result.warnings.append(
                "this image was unpacked with a single-id mapping earlier: its files' owners are "
                "squashed to root. Run `rootless doctor subid-ranges` for the fix, then "
                "`rootless engine rmi` and pull again."
            )
        result.notes += list(unpacked.info.notes)
        name = ref.name
        store.tag(
            name,
            {
                "mediaType": manifest.media_type,
                "digest": manifest.digest,
                "size": len(manifest.body),
            },
            index_digest=index_digest,
        )
        entry = next(e for e in store.entries() if e.name == name)
        result.record = store.record(entry)
        return result


class _Feeder:
    """Hands layers to the unpacker in manifest order as their blobs become available."""

    def __init__(self, job: Any, order: list[str], have: set[str]) -> None:
        self.job = job
        self.order = order
        self.available = set(have)
        self.next = 0
        self.lock = threading.Lock()

    def stored(self, digest: str) -> None:
        with self.lock:
            self.available.add(digest)
            self._advance()

    def flush(self) -> None:
        with self.lock:
            self._advance()

    def _advance(self) -> None:
        while self.next < len(self.order) and self.order[self.next] in self.available:
            self.job.feed(self.next)
            self.next += 1


def _parse_manifest(data: Mapping[str, Any], image: str) -> tuple[Descriptor, list[Descriptor]]:
    try:
        config = Descriptor.from_json(data["config"], image)
        layers = [Descriptor.from_json(d, image) for d in data["layers"]]
    except (KeyError, TypeError) as exc:
        raise RegistryError(f"{image}: malformed image manifest") from exc
    if config.media_type and config.media_type not in CONFIG_TYPES:
        raise RegistryError(
            f"{image} is not a container image (its config media type is {config.media_type}); "
            "it may be an OCI artifact such as a Helm chart or a signature"
        )
    for layer in layers:
        if layer.media_type and layer.media_type not in LAYER_TYPES:
            raise RegistryError(f"{image}: unsupported layer media type {layer.media_type}")
    return config, layers


def _parse_config(body: bytes, image: str) -> dict[str, Any]:
    import json  # noqa: PLC0415

    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RegistryError(f"{image}: the image config is not JSON") from exc
    if not isinstance(data, dict):
        raise RegistryError(f"{image}: the image config is not a JSON object")
    return data


def _download_all(
    reg: Registry,
    repo: str,
    *,
    todo: list[Descriptor],
    store: Store,
    image: str,
    reporter: Reporter,
    on_stored: Callable[[str], None] | None = None,
) -> int:
    """Download ``todo`` concurrently; the threads are joined before this returns.
    ``on_stored(digest)`` runs (in the downloading thread) once a blob is in the store."""
    if not todo:
        return 0
    abort = threading.Event()

    def advance(digest: str, n: int) -> None:
        if abort.is_set():
            raise RegistryError("download cancelled")
        reporter.advance(digest, n)

    def one(desc: Descriptor) -> int:
        with store.blob_lock(desc.digest):
            if store.has_blob(desc.digest, desc.size):  # another pull got it meanwhile
                reporter.done(desc.digest)
                if on_stored is not None:
                    on_stored(desc.digest)
                return 0
            partial = store.partial_path(desc.digest)
            reg.download_blob(
                repo, desc, partial, image, progress=lambda n: advance(desc.digest, n)
            )
            store.commit_blob(desc.digest, partial)
        reporter.done(desc.digest)
        if on_stored is not None:
            on_stored(desc.digest)
        return desc.size

    workers = min(MAX_PARALLEL, len(todo))
    if workers == 1:
        return one(todo[0])
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pull")
    futures = [pool.submit(one, d) for d in todo]
    try:
        return sum(fut.result() for fut in futures)
    except BaseException:
        abort.set()  # the other downloads stop at their next chunk (Ctrl-C, or one failed)
        for fut in futures:
            fut.cancel()
        raise
    finally:
        pool.shutdown(wait=True)
