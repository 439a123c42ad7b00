"""Run checks concurrently, each with a timeout; a crash or a hang becomes a finding.

Each check runs in its own daemon thread as soon as its dependencies are done. A check that
raises becomes an ``error`` finding (the traceback is kept in its details), one that
outlives its timeout is reported as ``error`` and left behind (daemon threads never block
the exit), and a check whose ``requires`` are not ok/warn is ``skip``ped with the reason.
Findings come back in registry order whatever order they finished in.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, TypeVar

from .host import Host, HostFileError, StrictHostError
from .model import Finding, Outcome, Status
from .registry import CheckSpec

T = TypeVar("T")

_GOOD = (Status.OK, Status.WARN)


class Facts:
    """Per-run memo of expensive host facts shared by several checks (thread-safe).

    ``facts.get(fn)`` computes ``fn(host)`` once per run; a fact that raises is not cached.
    """

    def __init__(self, host: Host) -> None:
        self.host = host
        self._lock = threading.Lock()
        self._locks: dict[object, threading.Lock] = {}
        self._memo: dict[object, object] = {}

    def started(self, fn: Callable[[Host], object]) -> bool:
        """Has anyone asked for ``fn`` yet (it may still be computing)?"""
        with self._lock:
            return fn in self._locks

    def get(self, fn: Callable[[Host], T]) -> T:
        with self._lock:
            lock = self._locks.setdefault(fn, threading.Lock())
        with lock:
            if fn not in self._memo:
                self._memo[fn] = fn(self.host)
            return self._memo[fn]  # type: ignore[return-value]


class Context:
    """What a check gets: the host, options, shared facts and its dependencies' findings.

    ``params`` are the caller's inputs for checks that judge something the host cannot tell
    by itself, e.g. ``{"ports": ("8080", "127.0.0.1:8443")}``: the host ports a user is
    about to publish (``rootless doctor --port``, ``rootless verify``).
    """

    __slots__ = ("facts", "host", "params", "probes", "results")

    def __init__(
        self,
        host: Host,
        facts: Facts,
        probes: bool = True,
        results: Mapping[str, Finding] | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.host = host
        self.facts = facts
        self.probes = probes
        self.results: Mapping[str, Finding] = results or {}
        self.params: Mapping[str, object] = params or {}

    def fact(self, fn: Callable[[Host], T]) -> T:
        return self.facts.get(fn)

    def result(self, check_id: str) -> Finding | None:
        return self.results.get(check_id)


class RunResult(NamedTuple):
    findings: list[Finding]
    facts: Facts


def _crash(spec: CheckSpec, exc: BaseException, duration: float) -> Finding:
    if isinstance(exc, HostFileError):
        return Finding(
            spec.id,
            spec.title,
            Status.ERROR,
            f"cannot judge this: {exc}",
            why=spec.why,
            duration=duration,
        )
    import traceback  # noqa: PLC0415 - only for a crashed check

    tb = "".join(traceback.format_exception(exc)).rstrip().splitlines()
    return Finding(
        spec.id,
        spec.title,
        Status.ERROR,
        f"the check crashed: {type(exc).__name__}: {exc}",
        details=("this is a bug in rootless doctor; please report it with the details below", *tb),
        why=spec.why,
        duration=duration,
    )


def _start_prefetch(host: Host, specs: Sequence[CheckSpec], facts: Facts, probes: bool) -> None:
    """Start the facts that wait on other processes (podman --version, the namespace probe)
    before any check runs, so they overlap with the checks' own work. A prefetch that fails
    is dropped: the check that needs the fact computes it again and reports the failure."""
    from .facts import PROBE_FACTS  # noqa: PLC0415 - facts imports this module's users

    may_probe = probes and host.uid != 0 and host.probe_blocker() is None
    wanted: list[Callable[[Host], object]] = []
    for spec in specs:
        for fn in spec.prefetch:
            if fn not in wanted and (may_probe or fn not in PROBE_FACTS):
                wanted.append(fn)

    prefetch(facts, wanted)


def prefetch(facts: Facts, fns: Sequence[Callable[[Host], object]]) -> None:
    """Compute ``fns`` in background threads; a failure is dropped (the check that needs the
    fact computes it again and reports it). Already started facts are not started twice."""

    def fetch(fn: Callable[[Host], object]) -> None:
        with contextlib.suppress(BaseException):  # the check itself recomputes and reports it
            facts.get(fn)

    for fn in fns:
        if facts.started(fn):
            continue
        threading.Thread(
            target=fetch, args=(fn,), name=f"doctor:prefetch:{fn.__name__}", daemon=True
        ).start()


def run(
    host: Host,
    specs: Sequence[CheckSpec],
    *,
    probes: bool = True,
    facts: Facts | None = None,
    timeout_scale: float = 1.0,
    params: Mapping[str, object] | None = None,
) -> RunResult:
    """Run ``specs`` against ``host``; every spec yields exactly one finding. ``params`` reach
    every check as ``ctx.params``."""
    # Checks are short bursts of Python; the prefetch threads mostly wait on other processes.
    # A short GIL switch interval lets a waiting thread run as soon as its process answers
    # instead of queueing behind a busy check for the default 5 ms.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        return _run(host, specs, facts or Facts(host), probes, timeout_scale, params=params or {})
    finally:
        sys.setswitchinterval(interval)


def _run(
    host: Host,
    specs: Sequence[CheckSpec],
    facts: Facts,
    probes: bool,
    timeout_scale: float,
    *,
    params: Mapping[str, object],
) -> RunResult:
    selected = {s.id for s in specs}
    done: dict[str, Finding] = {}
    started: dict[str, float] = {}
    events = {s.id: threading.Event() for s in specs}
    cond = threading.Condition()
    strict_errors: list[StrictHostError] = []

    def finish(spec: CheckSpec, finding: Finding) -> None:
        with cond:
            if spec.id in done:  # already reported as timed out
                return
            done[spec.id] = finding
            events[spec.id].set()
            cond.notify_all()

    def skipped(spec: CheckSpec, reason: str) -> Finding:
        return Finding(spec.id, spec.title, Status.SKIP, reason, why=spec.why)

    def worker(spec: CheckSpec) -> None:
        for dep in (*spec.requires, *spec.after):
            if dep in selected:
                events[dep].wait()
        with cond:
            snapshot = dict(done)
        blocked = [d for d in spec.requires if d in snapshot and snapshot[d].status not in _GOOD]
        if blocked:
            reasons = ", ".join(f"{d} ({snapshot[d].status.value})" for d in blocked)
            finish(spec, skipped(spec, f"skipped: needs {reasons}"))
            return
        if spec.probe and not probes:
            finish(spec, skipped(spec, "skipped: probes disabled (--no-probe)"))
            return
        ctx = Context(host=host, facts=facts, probes=probes, results=snapshot, params=params)
        t0 = time.monotonic()
        with cond:
            started[spec.id] = t0
            cond.notify_all()
        try:
            outcome: Outcome = spec.func(ctx)
            finding = Finding.from_outcome(spec.id, spec.title, outcome, time.monotonic() - t0)
            if not finding.why:
                finding = finding._replace(why=spec.why)
            if not finding.links and spec.links:
                finding = finding._replace(links=spec.links)
        except StrictHostError as exc:
            with cond:
                strict_errors.append(exc)
            finding = _crash(spec, exc, time.monotonic() - t0)
        except Exception as exc:
            finding = _crash(spec, exc, time.monotonic() - t0)
        finish(spec, finding)

    _start_prefetch(host, specs, facts, probes)
    threads = [
        threading.Thread(target=worker, args=(s,), name=f"doctor:{s.id}", daemon=True)
        for s in specs
    ]
    for t in threads:
        t.start()
    with cond:
        while len(done) < len(specs):
            now = time.monotonic()
            deadline: float | None = None
            for spec in specs:
                if spec.id in done or spec.id not in started:
                    continue
                limit = started[spec.id] + spec.timeout * timeout_scale
                if now >= limit:
                    done[spec.id] = Finding(
                        spec.id,
                        spec.title,
                        Status.ERROR,
                        f"the check did not finish within {spec.timeout * timeout_scale:g}s",
                        why=spec.why,
                        duration=now - started[spec.id],
                    )
                    events[spec.id].set()
                else:
                    deadline = limit if deadline is None else min(deadline, limit)
            if len(done) < len(specs):
                cond.wait(timeout=None if deadline is None else max(0.0, deadline - now) + 0.001)
    if strict_errors:
        raise strict_errors[0]
    return RunResult([done[s.id] for s in specs], facts)
