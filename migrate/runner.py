"""Migrating many files: read and fix in worker processes, write in the parent.

Work is split over a process pool (one worker per core) in chunks of files; each worker
reads its files, runs the driver and sends back only what the chosen output needs (no
file contents in ``--check`` mode). Writes happen in the parent, one atomic replace per
file, so an interrupt never leaves a half-written file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from rootless.migrate.files import Candidate, Loaded, Skipped, load
from rootless.migrate.model import Settings, Severity
from rootless.migrate.report import FileOutcome, Style, render_findings, unified_diff

#: below this many files a pool costs more than it saves
POOL_THRESHOLD = 24
CHUNK = 32


@dataclass(frozen=True)
class Job:
    settings: Settings
    max_size: int
    want_diff: bool
    want_bytes: bool
    #: render the human report in the worker (with colour or not)
    render: bool = False
    color: bool = False
    #: send the findings back (JSON, SARIF); otherwise only counts and the rendered report
    want_findings: bool = True


def process(c: Candidate, job: Job, explicit: bool = False) -> FileOutcome | Skipped | None:
    """Load and migrate one file (runs in a worker)."""
    from rootless.migrate.driver import fix_bytes  # noqa: PLC0415

    loaded = load(c, max_size=job.max_size, explicit=explicit)
    if not isinstance(loaded, Loaded):
        return loaded
    result = fix_bytes(
        loaded.data, path=c.path.as_posix(), kind=loaded.kind.id, settings=job.settings
    )
    changed = result.changed
    findings = result.findings
    out = FileOutcome(
        path=c.display,
        kind=result.kind,
        changed=result.pending,
        findings=findings,
        edits=len(result.edits),
        diff=unified_diff(c.display, result.original, result.fixed)
        if changed and job.want_diff
        else None,
        fixed=result.fixed if changed and job.want_bytes else None,
        generated=result.generated,
        images=result.images,
        real_path=str(c.real),
        reviews=sum(1 for x in findings if x.severity is Severity.REVIEW),
        warnings=sum(1 for x in findings if x.severity is Severity.WARNING),
    )
    if job.render:
        out.report = render_findings(out, Style(job.color))
    if not job.want_findings:
        out.findings = ()
    return out


def _process_star(args: tuple[Candidate, Job, bool]) -> FileOutcome | Skipped | None:
    return process(*args)


def run(
    candidates: list[tuple[Candidate, bool]], job: Job, jobs: int | None = None
) -> Iterator[FileOutcome | Skipped]:
    """Outcomes in input order (files that are not ours are dropped)."""
    workers = jobs or os.cpu_count() or 1
    items = [(c, job, explicit) for c, explicit in candidates]
    if workers <= 1 or len(items) < POOL_THRESHOLD:
        for it in items:
            out = _process_star(it)
            if out is not None:
                yield out
        return
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    ctx = multiprocessing.get_context("fork")
    chunk = max(1, min(CHUNK, len(items) // (workers * 4) or 1))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        for out in pool.map(_process_star, items, chunksize=chunk):
            if out is not None:
                yield out
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
