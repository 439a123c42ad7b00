"""Rendering results: coloured unified diff, the report grouped by file, JSON and SARIF."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rootless import __version__
from rootless.migrate.model import Finding, GeneratedFile, Severity

JSON_VERSION = 1

_ANSI = {
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "cyan": "\x1b[36m",
    "magenta": "\x1b[35m",
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
}
_RESET = "\x1b[0m"
_SEVERITY_STYLE = {
    Severity.FIX: "green",
    Severity.REVIEW: "magenta",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}


@dataclass
class FileOutcome:
    """One migrated file, as the CLI reports it."""

    path: str
    kind: str
    changed: bool
    findings: tuple[Finding, ...]
    edits: int = 0
    diff: str | None = None
    fixed: bytes | None = None
    #: set by --write
    written: bool = False
    error: str | None = None
    #: the file --write replaces (an explicitly named symlink's target)
    real_path: str = ""
    #: the human report, rendered in the worker (None: not wanted)
    report: str | None = None
    reviews: int = 0
    warnings: int = 0
    #: files generated from this one (Quadlet units); placed by the CLI
    generated: tuple[GeneratedFile, ...] = ()
    #: where the CLI wrote or would write each generated file
    placed: list[str] = field(default_factory=list)
    #: (line, reference) of the images it uses (``--verify``)
    images: tuple[tuple[int, str], ...] = ()
    #: (line, reference, why) of references no registry knows (``--verify``)
    unresolvable: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class Summary:
    files: list[FileOutcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    scanned: int = 0

    @property
    def changed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.changed]

    @property
    def reviews(self) -> int:
        return sum(f.reviews for f in self.files)

    @property
    def warnings(self) -> int:
        return sum(f.warnings for f in self.files)

    @property
    def generated(self) -> int:
        return sum(len(f.generated) for f in self.files)

    @property
    def unresolvable(self) -> int:
        return sum(len(f.unresolvable) for f in self.files)

    #: set when --verify ran: number of distinct references asked about
    verified: int | None = None


class Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        return "".join(_ANSI[s] for s in styles) + text + _RESET


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A ``diff -u`` of two versions (bytes that are not UTF-8 shown as escapes)."""
    a = before.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    b = after.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    out: list[str] = []
    for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=2):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def new_file_diff(target: str, content: str) -> str:
    """A ``diff -u`` creating ``target`` with ``content``."""
    lines = content.splitlines(keepends=True)
    head = f"--- /dev/null\n+++ {target}\n@@ -0,0 +1,{len(lines)} @@\n"
    return head + "".join("+" + ln if ln.endswith("\n") else "+" + ln + "\n" for ln in lines)


def color_diff(diff: str, style: Style) -> str:
    if not style.color:
        return diff
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(style(line.rstrip("\n"), "bold") + "\n")
        elif line.startswith("@@"):
            out.append(style(line.rstrip("\n"), "cyan") + "\n")
        elif line.startswith("+"):
            out.append(style(line.rstrip("\n"), "green") + "\n")
        elif line.startswith("-"):
            out.append(style(line.rstrip("\n"), "red") + "\n")
        else:
            out.append(line)
    return "".join(out)


def render_findings(f: FileOutcome, style: Style) -> str:
    if not f.findings and not f.error:
        return ""
    lines = [style(f.path, "bold") + style(f"  ({f.kind})", "dim")]
    lines += _finding_lines(f, style)
    return "\n".join(lines) + "\n"


def _finding_lines(f: FileOutcome, style: Style) -> list[str]:
    lines: list[str] = []
    if f.error:
        lines.append("  " + style("error", "red", "bold") + f"  {f.error}")
    # the styled pieces depend only on the severity (and the style): render them once
    labels: dict[tuple[Severity, bool], str] = {}
    fix_label = style("fix: ", "bold")
    pad = " " * 28
    append = lines.append
    for x in f.findings:
        severity = x.severity
        skipped = not x.applied and (severity is Severity.FIX or severity is Severity.REVIEW)
        label = labels.get((severity, skipped))
        if label is None:
            sev = "skipped" if skipped else severity.value
            label = style(sev.ljust(8), _SEVERITY_STYLE.get(severity, "dim"), "bold")
            labels[(severity, skipped)] = label
        append(f"  {x.line}:{x.column}".ljust(10) + label + f" {x.rule.ljust(18)} {x.message}")
        if x.fix:
            append(pad + fix_label + x.fix)
        if x.link:
            append(pad + style("see: " + x.link, "dim"))
    return lines


def render_summary(s: Summary, mode: str, style: Style) -> str:
    changed = len(s.changed)
    verb = {"write": "changed", "check": "would change", "diff": "would change"}[mode]
    edits = sum(f.edits for f in s.changed)
    parts = [
        f"{s.scanned} file(s) scanned",
        f"{changed} {verb}" + (f" ({edits} edit(s))" if edits else ""),
        f"{s.reviews} to review",
        f"{s.warnings} warning(s)",
    ]
    if s.verified is not None:
        parts.append(f"{s.verified} image(s) verified, {s.unresolvable} unresolvable")
    if s.generated:
        done = "written" if mode == "write" else "generated"
        parts.insert(2, f"{s.generated} Quadlet file(s) {done}")
    if s.skipped:
        parts.append(f"{len(s.skipped)} skipped")
    text = ", ".join(parts)
    color = "yellow" if changed else "green"
    return style(text, color, "bold") + "\n"


def render_unresolvable(f: FileOutcome, style: Style) -> str:
    return "".join(
        f"{f.path}:{line}: " + style("unresolvable image", "red", "bold") + f" {ref}: {why}\n"
        for line, ref, why in f.unresolvable
    )


def render_skipped(s: Summary, style: Style) -> str:
    return "".join(style(f"skipped {p}: {why}", "dim") + "\n" for p, why in s.skipped)


def to_json(s: Summary, mode: str, exit_code: int) -> str:
    doc: dict[str, Any] = {
        "rootless_migrate_version": JSON_VERSION,
        "rootless_version": __version__,
        "mode": mode,
        "exit_code": exit_code,
        "summary": {
            "scanned": s.scanned,
            "changed": len(s.changed),
            "review": s.reviews,
            "warnings": s.warnings,
            "skipped": len(s.skipped),
            "generated": s.generated,
            "verified_images": s.verified,
            "unresolvable_images": s.unresolvable,
        },
        "files": [
            {
                "path": f.path,
                "kind": f.kind,
                "changed": f.changed,
                "written": f.written,
                "edits": f.edits,
                "error": f.error,
                "diff": f.diff,
                "findings": [x.to_dict() for x in f.findings],
                "unresolvable_images": [
                    {"line": line, "image": ref, "reason": why} for line, ref, why in f.unresolvable
                ],
                "generated": [
                    {**g.to_dict(), "path": p} for g, p in zip(f.generated, _placed(f), strict=True)
                ],
            }
            for f in s.files
            if f.changed or f.findings or f.error or f.unresolvable
        ],
        "skipped": [{"path": p, "reason": why} for p, why in s.skipped],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _placed(f: FileOutcome) -> list[str | None]:
    return list(f.placed) if f.placed else [None] * len(f.generated)


_SARIF_LEVEL = {
    Severity.FIX: "warning",
    Severity.REVIEW: "warning",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}


def to_sarif(s: Summary, rules: Sequence[Any], extra_rules: Iterable[tuple[str, str]] = ()) -> str:
    """SARIF 2.1.0 for GitHub code scanning: one result per finding."""
    rule_list = [
        {
            "id": r.id,
            "name": "".join(p.capitalize() for p in r.id.split("-")),
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": f"{r.summary}. Example: {r.example}"},
            "helpUri": r.link,
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        }
        for r in rules
    ]
    rule_list += [
        {
            "id": rid,
            "name": "".join(p.capitalize() for p in rid.split("-")),
            "shortDescription": {"text": text},
            "defaultConfiguration": {"level": "warning"},
        }
        for rid, text in extra_rules
    ]
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    results = []
    for f in s.files:
        for x in f.findings:
            text = x.message + (f" Fix: {x.fix}" if x.fix else "")
            result: dict[str, Any] = {
                "ruleId": x.rule,
                "level": _SARIF_LEVEL[x.severity],
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.path.removeprefix("./")},
                            "region": {"startLine": x.line, "startColumn": x.column},
                        }
                    }
                ],
                "properties": {"severity": x.severity.value, "applied": x.applied},
            }
            if x.rule in index:
                result["ruleIndex"] = index[x.rule]
            results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rootless-migrate",
                        "version": __version__,
                        "rules": rule_list,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
