"""Data model of the migrator: edits, notes, changes, findings, settings, results.

Rules *yield* :class:`Change` (one or more :class:`Edit` applied together, with the
:class:`Note` that explains them) and :class:`Note` (warnings and information, no edit).
Offsets in what rules yield are positions in the shell text the rule looked at (a
:class:`~rootless.migrate.regions.Region`); the driver maps them back into the file and
turns notes into :class:`Finding` objects with line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

DOCS = "https://docs.podman.io/en/latest/markdown"


class Severity(StrEnum):
    """How a finding is handled. ``fix`` and ``review`` come with an edit."""

    #: deterministic rewrite, no behaviour change expected
    FIX = "fix"
    #: rewrite applied, but behaviour changes: read it before committing
    REVIEW = "review"
    #: nothing changed: it cannot be converted automatically; the message says what to do
    WARNING = "warning"
    #: a remark (e.g. a suggestion, or why something was left alone)
    INFO = "info"


class Edit(NamedTuple):
    """Replace ``[start, end)`` with ``text`` (``start == end``: insert)."""

    start: int
    end: int
    text: str

    @classmethod
    def insert(cls, at: int, text: str) -> Edit:
        return cls(at, at, text)

    @classmethod
    def delete(cls, start: int, end: int) -> Edit:
        return cls(start, end, "")


class Note(NamedTuple):
    """An explanation attached to a position: why, what to do, and where it is documented."""

    rule: str
    severity: Severity
    offset: int
    message: str
    #: a concrete fix for the user (a command, a flag, a snippet), when there is one
    fix: str | None = None
    link: str | None = None


class Change(NamedTuple):
    """Edits that belong together: all are applied, or none (then the note becomes a warning)."""

    edits: tuple[Edit, ...]
    note: Note


class NewFile(NamedTuple):
    """A file a rule generates next to the migration (a Quadlet unit), with its explanation.

    ``name`` is a bare file name; where it goes is the CLI's business (``--quadlet-dir``).
    ``pending`` says whether the source file still needs migrating because of it (a unit
    that runs ``docker``): then ``--check`` fails.
    """

    name: str
    content: str
    note: Note
    pending: bool = True


ComposeTarget = Literal["podman compose", "podman-compose"]
ImageMode = Literal["apply", "suggest", "off"]


@dataclass(frozen=True)
class Settings:
    """Knobs of a migration run (pyupgrade-style: rules gate themselves on these)."""

    #: what ``docker-compose`` becomes
    compose_target: ComposeTarget = "podman compose"
    #: short image names: qualify them (apply), only report the qualified name (suggest), or off
    image_mode: ImageMode = "apply"
    #: does the target host have cgroup v2 with delegated controllers? None: unknown
    cgroup_v2: bool | None = None
    #: only these rule ids (None: all)
    select: frozenset[str] | None = None
    #: never these rule ids
    ignore: frozenset[str] = frozenset()
    #: re-parse the output and drop every change if it parses worse than the input (a
    #: safety net against bugs; ``--check`` skips it since it writes and shows nothing)
    verify: bool = True
    #: systemd units: also edit the unit in place (docker -> podman in Exec*= lines)
    edit_units: bool = False
    #: where generated Quadlet files go (only shown in messages; the CLI writes them)
    quadlet_dir: str = "~/.config/containers/systemd"
    #: collect the image references of each file (for ``--verify``)
    collect_images: bool = False

    def enabled(self, rule_id: str) -> bool:
        if rule_id in self.ignore:
            return False
        return self.select is None or rule_id in self.select


class Finding(NamedTuple):
    """A note placed in a file: 1-based line and column, byte offset, and whether it was applied."""

    rule: str
    severity: Severity
    line: int
    column: int
    offset: int
    message: str
    fix: str | None = None
    link: str | None = None
    #: for fix/review findings: the edit is in the output
    applied: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "fix": self.fix,
            "link": self.link,
            "applied": self.applied,
        }


class AppliedEdit(NamedTuple):
    """An edit in file coordinates (bytes), as applied to the original."""

    start: int
    end: int
    text: bytes
    rule: str


class GeneratedFile(NamedTuple):
    """A file generated from the migrated one (placed by the CLI, never by the driver)."""

    name: str
    content: str
    rule: str
    #: 1-based line of the source construct it was generated from
    line: int
    #: the source file still needs migrating (``--check`` fails)
    pending: bool = True

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "content": self.content,
            "rule": self.rule,
            "line": self.line,
            "pending": self.pending,
        }


@dataclass(frozen=True)
class FixResult:
    """What :func:`rootless.migrate.fix_bytes` returns."""

    kind: str
    original: bytes
    fixed: bytes
    edits: tuple[AppliedEdit, ...] = ()
    findings: tuple[Finding, ...] = field(default=())
    generated: tuple[GeneratedFile, ...] = field(default=())
    #: (1-based line, fully qualified reference) with ``Settings.collect_images``
    images: tuple[tuple[int, str], ...] = field(default=())

    @property
    def changed(self) -> bool:
        """The file's bytes change."""
        return self.fixed != self.original

    @property
    def pending(self) -> bool:
        """Something still needs migrating: bytes change or a generated file replaces it."""
        return self.fixed != self.original or any(g.pending for g in self.generated)

    @property
    def text(self) -> str:
        """The fixed content as text (undecodable bytes kept as surrogate escapes)."""
        return self.fixed.decode("utf-8", "surrogateescape")
