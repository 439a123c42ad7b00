"""What a check returns: a status, the observed fact, details, why it matters and a fix.

A check function returns an :class:`Outcome` (its verdict); the runner adds the check's id,
title and duration and hands out :class:`Finding` objects. Both are frozen.

Fixes are data, not shell: a :class:`Fix` is a list of :class:`FixStep` objects, each naming a
template under ``templates/doctor/steps/`` plus the values it needs. They are rendered into
one reviewed script by :mod:`rootless.doctor.fixes` and never executed by the doctor.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

#: when a fix step takes effect
Effect = Literal["now", "re-login", "reboot"]
#: which part of the fix script a step belongs to
Part = Literal["root", "user"]

JSONScalar = str | int | float | bool | None


class Status(enum.StrEnum):
    """Outcome of one check. Order of badness: ok = skip < warn < fail < error."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def is_problem(self) -> bool:
        """A finding the user has to look at (warnings included)."""
        return self in (Status.WARN, Status.FAIL, Status.ERROR)


_RANK = {Status.OK: 0, Status.SKIP: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 3}


def worst(statuses: Iterable[Status], default: Status = Status.OK) -> Status:
    result = default
    for status in statuses:
        if status.rank > result.rank:
            result = status
    return result


class FixStep(NamedTuple):
    """One idempotent step of a fix script.

    ``template`` names ``templates/doctor/steps/<template>.sh.j2``; ``context`` holds the
    values it interpolates (every one is shell-quoted by the template).
    """

    template: str
    summary: str
    part: Part
    takes_effect: Effect
    context: Mapping[str, Any] = MappingProxyType({})

    def key(self) -> str:
        """Identity for de-duplication (two checks may ask for the same step)."""
        return json.dumps([self.template, self.part, dict(self.context)], sort_keys=True)

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "summary": self.summary,
            "part": self.part,
            "takes_effect": self.takes_effect,
            "context": dict(self.context),
        }


class Fix(NamedTuple):
    """What to do about a finding: script steps, and a note for what a script cannot do."""

    steps: tuple[FixStep, ...] = ()
    note: str = ""

    def __bool__(self) -> bool:
        return bool(self.steps or self.note)

    def to_json(self) -> dict[str, Any]:
        return {"steps": [s.to_json() for s in self.steps], "note": self.note}

    @staticmethod
    def merge(fixes: Iterable[Fix | None]) -> Fix | None:
        steps: list[FixStep] = []
        seen: set[str] = set()
        notes: list[str] = []
        for fix in fixes:
            if not fix:
                continue
            for step in fix.steps:
                if step.key() not in seen:
                    seen.add(step.key())
                    steps.append(step)
            if fix.note and fix.note not in notes:
                notes.append(fix.note)
        steps.sort(key=lambda s: s.part != "root")  # stable: root steps first, then the user's
        merged = Fix(tuple(steps), " ".join(notes))
        return merged if merged else None


class Outcome(NamedTuple):
    """A check's verdict. ``summary`` is one line with the observed fact."""

    status: Status
    summary: str
    details: tuple[str, ...] = ()
    why: str = ""
    fix: Fix | None = None
    links: tuple[str, ...] = ()
    #: observed values, for --json (small, JSON-serialisable)
    data: Mapping[str, Any] = MappingProxyType({})


def ok(summary: str, *, details: Sequence[str] = (), **data: Any) -> Outcome:
    return Outcome(Status.OK, summary, tuple(details), data=data)


def skip(reason: str, *, details: Sequence[str] = ()) -> Outcome:
    return Outcome(Status.SKIP, reason, tuple(details))


class Finding(NamedTuple):
    """A check's outcome as reported: id, title, status, summary, details, why, fix, links."""

    id: str
    title: str
    status: Status
    summary: str
    details: tuple[str, ...] = ()
    why: str = ""
    fix: Fix | None = None
    links: tuple[str, ...] = ()
    #: wall-clock seconds the check took
    duration: float = 0.0
    data: Mapping[str, Any] = MappingProxyType({})

    @classmethod
    def from_outcome(cls, id: str, title: str, outcome: Outcome, duration: float) -> Finding:
        return cls(
            id=id,
            title=title,
            status=outcome.status,
            summary=outcome.summary,
            details=outcome.details,
            why=outcome.why,
            fix=outcome.fix,
            links=outcome.links,
            duration=duration,
            data=outcome.data,
        )

    def with_status(self, status: Status, summary: str) -> Finding:
        return self._replace(status=status, summary=summary)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "summary": self.summary,
            "details": list(self.details),
            "why": self.why,
            "fix": self.fix.to_json() if self.fix else None,
            "links": list(self.links),
            "duration_ms": round(self.duration * 1000, 1),
            "data": dict(self.data),
        }


class Assessment:
    """Collects the sub-results of a multi-part check and folds them into one Outcome.

    The summary is the first message of the worst status; every message becomes a detail
    line (prefixed by its status when it is not ok); fixes are merged.
    """

    def __init__(self) -> None:
        self._items: list[tuple[Status, str, Fix | None]] = []
        self._info: list[str] = []
        self.data: dict[str, Any] = {}

    def add(self, status: Status, message: str, fix: Fix | None = None) -> None:
        self._items.append((status, message, fix))

    def ok(self, message: str) -> None:
        self.add(Status.OK, message)

    def warn(self, message: str, fix: Fix | None = None) -> None:
        self.add(Status.WARN, message, fix)

    def fail(self, message: str, fix: Fix | None = None) -> None:
        self.add(Status.FAIL, message, fix)

    def info(self, message: str) -> None:
        """A detail line that is not a verdict."""
        self._info.append(message)

    @property
    def status(self) -> Status:
        return worst(s for s, _, _ in self._items)

    def outcome(self, ok_summary: str, *, why: str = "", links: Sequence[str] = ()) -> Outcome:
        status = self.status
        if status is Status.OK:
            summary = ok_summary
        else:
            summary = next(m for s, m, _ in self._items if s is status)
        details: list[str] = []
        for s, message, _ in self._items:
            if s is Status.OK:
                details.append(message)
            else:
                details.append(f"{s.value}: {message}")
        details += self._info
        fix = Fix.merge(f for s, _, f in self._items if s.is_problem)
        return Outcome(
            status,
            summary,
            tuple(details),
            why=why,
            fix=fix,
            links=tuple(links),
            data=dict(self.data),
        )
