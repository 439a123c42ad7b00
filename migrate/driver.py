"""The one driver: parse, run the rules, check edits, apply them right to left.

Every byte outside an accepted edit is copied from the original: comments, quoting,
indentation, ``\\`` continuations, CRLF, a missing final newline and bytes that are not
UTF-8 all survive. Edits are accepted in rule order; one that overlaps an accepted edit,
that cannot be mapped back into the file, or that sits near a parse error is not applied
and its note becomes a warning. If the output parses worse than the input, nothing is
applied (a safety net: it means a bug, and the report says so).
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from .embedded import embedded_regions
from .kinds import Extraction, FileKind, detect_kind, get_kind
from .model import (
    AppliedEdit,
    Change,
    Edit,
    Finding,
    FixResult,
    GeneratedFile,
    NewFile,
    Note,
    Settings,
    Severity,
)
from .regions import Region
from .registry import CommandHook, Rule, RuleContext, all_rules
from .shell import (
    ENGINES,
    Assignment,
    Command,
    ShellDocument,
    _engine_of_value,
    count_errors,
    count_errors_after_edits,
)
from .structure import Structure

MAX_DEPTH = 3
PARSE_ERROR_LINK = "https://github.com/tree-sitter/tree-sitter-bash"


@dataclass
class _Run:
    data: bytes
    settings: Settings
    kind: FileKind
    rules: tuple[Rule, ...]
    accepted: list[tuple[int, int, bytes, str]] = field(default_factory=list)
    #: (host offset, note, applied)
    notes: list[tuple[int, Note, bool]] = field(default_factory=list)
    _sorted: list[tuple[int, int, bytes, str]] = field(default_factory=list)
    _keys: list[tuple[int, int]] = field(default_factory=list)
    #: (file offset, generated file)
    generated: list[tuple[int, NewFile]] = field(default_factory=list)

    # -- results ---------------------------------------------------------------------------

    def emit(
        self,
        item: Change | Note | NewFile,
        region: Region,
        editable: bool = True,
        why: str = "",
    ) -> None:
        if isinstance(item, Note):
            self.notes.append((region.host_point(item.offset), item, False))
            return
        if isinstance(item, NewFile):
            at = region.host_point(item.note.offset)
            self.generated.append((at, item))
            self.notes.append((at, item.note, True))
            return
        note = item.note
        at = region.host_point(note.offset)
        if not editable:
            self._reject(at, note, why)
            return
        edits = item.edits
        if len(edits) == 1:  # the common case: one edit, no ordering among its own edits
            e = edits[0]
            span = region.host_span(e.start, e.end)
            if span is None:
                self._reject(at, note, f"the text to change spans {region.origin} syntax")
                return
            a, b = span
            t = region.encode(e.text, e.start).encode("utf-8", "surrogateescape")
            rule = note.rule
            srt = self._sorted
            i = bisect.bisect_left(self._keys, (a, b))
            entry = (a, b, t, rule)
            if entry in srt[i : i + 2]:
                return  # the same edit again (an aliased YAML node, a merged key)
            other = _overlapping(srt, i, a, b)
            if other is not None:
                self._reject(at, note, f"overlaps a change by rule {other}")
                return
            self.accepted.append(entry)
            self._keys.insert(i, (a, b))
            srt.insert(i, entry)
            self.notes.append((at, note, True))
            return
        mapped: list[tuple[int, int, bytes]] = []
        for e in edits:
            span = region.host_span(e.start, e.end)
            if span is None:
                self._reject(at, note, f"the text to change spans {region.origin} syntax")
                return
            text = region.encode(e.text, e.start).encode("utf-8", "surrogateescape")
            mapped.append((span[0], span[1], text))
        if mapped and all(self._has(a, b, t, note.rule) for a, b, t in mapped):
            return  # the same edit again (an aliased YAML node, a merged key): once is enough
        ordered = sorted(mapped)
        for (_, end, _), (start, _, _) in itertools.pairwise(ordered):
            if start < end:
                self._reject(at, note, "its own edits overlap")
                return
        for a, b, _ in mapped:
            other = self._overlap(a, b)
            if other is not None:
                self._reject(at, note, f"overlaps a change by rule {other}")
                return
        for a, b, t in mapped:
            self.accepted.append((a, b, t, note.rule))
            i = bisect.bisect_left(self._keys, (a, b))
            self._keys.insert(i, (a, b))
            self._sorted.insert(i, (a, b, t, note.rule))
        self.notes.append((at, note, True))

    def _reject(self, at: int, note: Note, why: str) -> None:
        self.notes.append(
            (
                at,
                note._replace(
                    severity=Severity.WARNING,
                    message=f"not changed ({why}): {note.message}",
                ),
                False,
            )
        )

    def _has(self, s: int, e: int, t: bytes, rule: str) -> bool:
        i = bisect.bisect_left(self._keys, (s, e))
        return any(x == (s, e, t, rule) for x in self._sorted[i : i + 2])

    def _overlap(self, s: int, e: int) -> str | None:
        return _overlapping(self._sorted, bisect.bisect_left(self._keys, (s, e)), s, e)

    # -- running rules -------------------------------------------------------------------

    def run_hooks(
        self,
        docs: list[ShellDocument],
        assignments: list[Assignment],
        dual: bool,
        structure: Structure | None = None,
    ) -> None:
        """Run every rule; results are emitted in rule order (earlier rules win overlaps)."""
        table = _dispatch(self.settings, dual)
        out: list[tuple[int, Change | Note | NewFile, Region, bool, str]] = []
        append = out.append
        if structure is not None and table.structure:
            whole = Region.whole(self.data, origin=structure.kind)
            sctx = RuleContext(self.settings, None, self.kind.id)
            for rank, structures, shook in table.structure:
                if structure.kind in structures:
                    for sitem in shook(structure, sctx):
                        append((rank, sitem, whole, True, ""))
        for doc in docs:
            region = doc.region
            unsound = doc.unsound
            ctx = RuleContext(self.settings, doc, self.kind.id)
            for rank, dhook in table.document:
                for item in dhook(doc, ctx):
                    append((rank, item, region, True, ""))
            commands = table.for_document(region)
            for cmd in doc.commands:
                if unsound and not doc.is_sound(cmd.start, cmd.end):
                    continue
                unresolved = cmd.engine_unresolved
                is_engine = cmd.node_type == "command" and (cmd.engine in ENGINES or unresolved)
                if unresolved:
                    why = f"`{cmd.name.text if cmd.name else ''}` may not be docker"
                    for rank, hook in commands.for_command(cmd, is_engine):
                        for item in hook(cmd, ctx):
                            append((rank, item, region, False, why))
                else:
                    for rank, hook in commands.for_command(cmd, is_engine):
                        for item in hook(cmd, ctx):
                            append((rank, item, region, True, ""))
            if table.assignment:
                for a in doc.assignments:
                    if unsound and not doc.is_sound(a.start, a.end):
                        continue
                    for rank, ahook in table.assignment:
                        for item in ahook(a, ctx):
                            append((rank, item, region, True, ""))
        if assignments and table.assignment:
            ctx = RuleContext(self.settings, None, self.kind.id)
            for a in assignments:
                for rank, ahook in table.assignment:
                    for aitem in ahook(a, ctx):
                        append((rank, aitem, a.region, True, ""))
        # stable: items of one rule stay in the order they were found
        out.sort(key=_RANK)
        emit = self.emit
        for _, result, reg, editable, why in out:
            emit(result, reg, editable, why)

    def apply(self) -> bytes:
        """The original with the accepted edits spliced in (they never overlap)."""
        parts: list[bytes] = []
        pos = 0
        for s, e, t, _ in self._sorted:
            parts += (self.data[pos:s], t)
            pos = e
        parts.append(self.data[pos:])
        return b"".join(parts)


_RANK = operator.itemgetter(0)
#: ``tuple.__new__``: NamedTuples without their Python-level ``__new__`` (hot path)
_new: Any = tuple.__new__


def _overlapping(srt: list[tuple[int, int, bytes, str]], i: int, s: int, e: int) -> str | None:
    """Rule of an accepted edit that ``[s, e)`` overlaps (``i``: its insertion point)."""
    # accepted edits never overlap each other, so only neighbours by start can clash
    for a, b, _, rule in srt[max(0, i - 1) : i + 2]:
        if s == e and a == b:
            if s == a:
                return rule
        elif s == e:
            if a < s < b:
                return rule
        elif a == b:
            if s < a < e:
                return rule
        elif a < e and s < b:
            return rule
    return None


_Hook = tuple[int, CommandHook]


class _Dispatch:
    """Which hooks apply: by scope, sub-command, program word and the options present.

    Built once per rule selection (and dual-engine state); hook lists are memoised per
    program and per (action, option names), so a command costs one or two dict lookups.
    Each hook comes with its rule's rank (position in the rule order).
    """

    def __init__(self, rules: tuple[Rule, ...], *, gated: bool = True) -> None:
        #: False: ignore the rules' gates (programs, actions, options, nouns, origins) and
        #: run every hook of the right scope (the tests prove the gates change nothing)
        self.gated = gated
        ranked = list(enumerate(rules))
        self.structure = [
            (i, r.structures, r.on_structure) for i, r in ranked if r.on_structure is not None
        ]
        self.document = [(i, r.on_document) for i, r in ranked if r.on_document is not None]
        self.assignment = [(i, r.on_assignment) for i, r in ranked if r.on_assignment is not None]
        cmd = [(i, r) for i, r in ranked if r.on_command is not None]
        self._any = [(i, r) for i, r in cmd if r.scope == "any"]
        self._engine = [(i, r) for i, r in cmd if r.scope != "any"]
        self._by_program: dict[str | None, list[_Hook]] = {}
        self._by_engine: dict[tuple[str | None, str | None, frozenset[str]], list[_Hook]] = {}
        self._origins = frozenset(
            o for _, r in cmd if r.origins is not None and gated for o in r.origins
        )
        self._for_origins: dict[frozenset[str], _Dispatch] = {}

    def for_document(self, region: Region) -> _Dispatch:
        """The dispatch for a document: command hooks gated by origin left out if absent."""
        if not self._origins:
            return self
        found: set[str] = set()
        r: Region | None = region
        while r is not None:
            if r.origin in self._origins:
                found.add(r.origin)
            r = r.parent
        key = frozenset(found)
        table = self._for_origins.get(key)
        if table is None:
            table = _Dispatch(())
            table.structure, table.document, table.assignment = (
                self.structure,
                self.document,
                self.assignment,
            )
            table._any = [
                (i, r) for i, r in self._any if r.origins is None or not r.origins.isdisjoint(key)
            ]
            table._engine = [
                (i, r)
                for i, r in self._engine
                if r.origins is None or not r.origins.isdisjoint(key)
            ]
            self._for_origins[key] = table
        return table

    def for_command(self, cmd: Command, is_engine: bool) -> list[_Hook]:
        program = cmd.program
        hooks = self._by_program.get(program)
        if hooks is None:
            hooks = [
                (i, r.on_command)  # type: ignore[misc]
                for i, r in self._any
                if r.programs is None or program in r.programs or not self.gated
            ]
            self._by_program[program] = hooks
        if not is_engine:
            return hooks
        inv = cmd.invocation
        key = (program, inv.action, inv.option_names)
        found = self._by_engine.get(key)
        if found is None:
            action, names = key[1], key[2]
            # rule order is restored by the driver's sort; any-scope hooks first is fine
            noun = inv.noun
            gated = self.gated
            found = hooks + [
                (i, r.on_command)  # type: ignore[misc]
                for i, r in self._engine
                if not gated
                or (
                    (r.actions is None or action in r.actions)
                    and (r.options is None or not r.options.isdisjoint(names))
                    and (r.nouns is None or noun in r.nouns)
                )
            ]
            self._by_engine[key] = found
        return found


@lru_cache(maxsize=32)
def _dispatch(settings: Settings, dual: bool) -> _Dispatch:
    rules = _enabled_rules(settings)
    return _Dispatch(tuple(r for r in rules if not (r.renames_engine and dual)))


@lru_cache(maxsize=32)
def _enabled_rules(settings: Settings) -> tuple[Rule, ...]:
    return tuple(r for r in all_rules() if settings.enabled(r.id))


def _documents(ext: Extraction) -> list[ShellDocument]:
    docs: list[ShellDocument] = []
    todo: list[tuple[Region, dict[str, str]]] = [(r, ext.variables) for r in ext.regions]
    while todo:
        region, variables = todo.pop(0)
        if not _names_engine(region.source):
            continue
        doc = ShellDocument(region, external_vars=variables)
        docs.append(doc)
        if region.depth() >= MAX_DEPTH:
            continue
        inherited = {**variables, **doc.engine_vars}
        for cmd in doc.commands:
            if doc.is_sound(cmd.start, cmd.end):
                todo.extend((sub, inherited) for sub in embedded_regions(cmd))
    return docs


def _dual_engine(docs: list[ShellDocument], assignments: list[Assignment]) -> int | None:
    """Offset (region-local of the first doc) where a script selects both engines, else None."""
    seen: dict[str, int] = {}
    for doc in docs:
        for sel in doc.selections:
            seen.setdefault(sel.engine, doc.region.host_point(sel.offset))
    for a in assignments:
        if a.value is not None:
            eng = _engine_of_value(a.value.text)
            if eng:
                seen.setdefault(eng, a.region.host_point(a.start))
    if all(e in seen for e in ENGINES):
        return min(seen.values())
    return None


def _mentions_engine(data: bytes) -> bool:
    """Does ``docker``/``podman`` (any case) occur on a line that is not a ``#`` comment?"""
    low = data.lower()  # ASCII-only folding, like the (?i) of a bytes pattern
    for word in (b"docker", b"podman"):
        i = low.find(word)
        while i >= 0:
            line = low.rfind(b"\n", 0, i) + 1
            if not low[line:i].lstrip(b" \t").startswith(b"#"):
                return True
            nl = low.find(b"\n", i)
            if nl < 0:
                break
            i = low.find(word, nl + 1)
    return False


def _names_engine(source: bytes) -> bool:
    """``docker`` or ``podman`` (any case) anywhere in ``source``."""
    low = source.lower()
    return b"docker" in low or b"podman" in low


def _line_of(data: bytes, at: int) -> int:
    """1-based line number of file offset ``at``."""
    return data.count(b"\n", 0, at) + 1


def _findings(data: bytes, notes: Iterable[tuple[int, Note, bool]]) -> tuple[Finding, ...]:
    out: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    ascii_only = data.isascii()
    line = 1
    prev = 0
    for at, note, applied in sorted(notes, key=_RANK):
        key = (note.rule, at, note.message)
        if key in seen:
            continue
        seen.add(key)
        # offsets come in order: count the newlines since the previous note (in C)
        line += data.count(b"\n", prev, at)
        prev = at
        start = data.rfind(b"\n", 0, at) + 1
        col = (
            at - start if ascii_only else len(data[start:at].decode("utf-8", "surrogateescape"))
        ) + 1
        out.append(
            Finding(
                note.rule,
                note.severity,
                line,
                col,
                at,
                note.message,
                note.fix,
                note.link,
                applied,
            )
        )
    return tuple(out)


def resolve_kind(path: str | None, data: bytes, kind: str | None) -> FileKind:
    if kind is not None:
        return get_kind(kind)
    if path is not None:
        found = detect_kind(PurePosixPath(path), data[:4096])
        if found is not None:
            return found
    return get_kind("shell")


def _is_whole(region: Region, data: bytes) -> bool:
    p = region.pieces
    return (
        region.parent is None
        and len(p) == 1
        and p[0].verbatim
        and p[0].host_start == 0
        and p[0].host_end == len(data)
    )


def error_count(kind: FileKind, data: bytes) -> int:
    return sum(count_errors(r.source) for r in kind.extract(data).regions)


def fix_bytes(
    data: bytes,
    *,
    path: str | None = None,
    kind: str | None = None,
    settings: Settings | None = None,
) -> FixResult:
    """Migrate one file's bytes. ``path`` picks the file kind (default: shell script).

    Returns the original and fixed bytes, the applied edits and every finding (changes,
    review notes, warnings) with line and column.
    """
    settings = settings or Settings()
    fk = resolve_kind(path, data, kind)
    if not fk.always and not _mentions_engine(data):
        # nothing can match without an engine name outside comments: no parse at all
        return FixResult(fk.id, data, data)
    run = _Run(data, settings, fk, _enabled_rules(settings))
    ext = fk.extract(data)
    if ext.structure is not None:
        ext.structure.path = path
    if ext.regions_need and not getattr(settings, ext.regions_need):
        ext.regions = []
    docs = _documents(ext)
    try:
        return _fix(data, settings=settings, fk=fk, run=run, ext=ext, docs=docs)
    finally:
        for d in docs:  # break Command <-> ShellDocument cycles: freed without the cyclic GC
            d.release()


def _fix(
    data: bytes,
    *,
    settings: Settings,
    fk: FileKind,
    run: _Run,
    ext: Extraction,
    docs: list[ShellDocument],
) -> FixResult:
    for at, n in ext.notes:
        if settings.enabled(n.rule):
            run.notes.append((at, n, False))
    dual_at = _dual_engine(docs, ext.assignments)
    if dual_at is not None and settings.enabled("dual-engine"):
        from .rules import dual_engine  # noqa: PLC0415

        run.notes.append((dual_at, dual_engine.RULE.note(0, dual_engine.MESSAGE), False))
    for doc in docs:
        if doc.error_offsets and settings.enabled("parse-error"):
            at = doc.region.host_point(doc.error_offsets[0])
            run.notes.append(
                (
                    at,
                    Note(
                        "parse-error",
                        Severity.WARNING,
                        0,
                        f"the shell parser found {len(doc.error_offsets)} syntax error(s) in this "
                        f"{doc.region.origin}: lines next to them are left unchanged",
                        "check the syntax with `bash -n FILE`",
                        PARSE_ERROR_LINK,
                    ),
                    False,
                )
            )
    run.run_hooks(docs, ext.assignments, dual_at is not None, ext.structure)
    fixed = run.apply()
    edits = tuple(_new(AppliedEdit, x) for x in sorted(run.accepted))
    images: tuple[tuple[int, str], ...] = ()
    if settings.collect_images:
        from .images import collect  # noqa: PLC0415

        images = tuple(
            (_line_of(data, at), ref) for at, ref in collect(docs, ext.structure, bool(ext.regions))
        )
    generated = tuple(
        GeneratedFile(g.name, g.content, g.note.rule, _line_of(data, at), g.pending)
        for at, g in run.generated
    )
    if fixed != data and settings.verify and fk.parses is not None and not fk.parses(fixed):
        note = Note(
            "config-error",
            Severity.WARNING,
            0,
            "rootless's changes would not parse: nothing was changed in this file "
            "(this is a bug in rootless; please report it with the file)",
        )
        notes = [(at, n, False) for at, n, _ in run.notes] + [(0, note, False)]
        return FixResult(fk.id, data, data, (), _findings(data, notes), generated, images)
    if fixed != data and settings.verify:
        top = [d for d in docs if d.region.parent is None]
        before = sum(len(d.error_offsets) for d in top)
        whole = len(top) == 1 and len(ext.regions) == 1 and _is_whole(top[0].region, data)
        if whole:
            after = count_errors_after_edits(
                top[0].tree, data, fixed, [(s, e, t) for s, e, t, _ in run.accepted]
            )
        else:
            after = error_count(fk, fixed)
        if after > before:
            note = Note(
                "parse-error",
                Severity.WARNING,
                0,
                "rootless's changes would not parse: nothing was changed in this file "
                "(this is a bug in rootless; please report it with the file)",
            )
            notes = [(at, n, False) for at, n, _ in run.notes] + [(0, note, False)]
            return FixResult(fk.id, data, data, (), _findings(data, notes), generated, images)
    return FixResult(fk.id, data, fixed, edits, _findings(data, run.notes), generated, images)


def fix_text(
    text: str,
    *,
    path: str | None = None,
    kind: str | None = None,
    settings: Settings | None = None,
) -> FixResult:
    """Like :func:`fix_bytes` for text (``result.text`` is the fixed text)."""
    return fix_bytes(
        text.encode("utf-8", "surrogateescape"), path=path, kind=kind, settings=settings
    )


__all__ = ["Edit", "fix_bytes", "fix_text"]
