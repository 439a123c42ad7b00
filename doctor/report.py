"""Rendering findings: a flutter-doctor style text report, and a versioned JSON envelope."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from rootless import __version__

from .model import Finding, Status, worst

if TYPE_CHECKING:
    from rich.console import Console

#: bump when a key of the envelope changes meaning or disappears
ENVELOPE_VERSION = 1

SYMBOLS = {Status.OK: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-", Status.ERROR: "☠"}
ASCII_SYMBOLS = {
    Status.OK: "+",
    Status.WARN: "!",
    Status.FAIL: "x",
    Status.SKIP: "-",
    Status.ERROR: "E",
}
STYLES = {
    Status.OK: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.SKIP: "dim",
    Status.ERROR: "bold red",
}


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in Status}
    for f in findings:
        out[f.status.value] += 1
    return out


def overall_status(findings: Sequence[Finding]) -> Status:
    return worst(f.status for f in findings)


def build_envelope(
    findings: Sequence[Finding],
    host: Mapping[str, Any],
    *,
    exit_code: int,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """The --json document. Keys are a contract (tests pin them)."""
    return {
        "rootless_doctor_version": ENVELOPE_VERSION,
        "rootless_version": __version__,
        "status": overall_status(findings).value,
        "exit_code": exit_code,
        "host": dict(host),
        "options": dict(options),
        "counts": counts(findings),
        "findings": [f.to_json() for f in findings],
    }


def render_json(envelope: Mapping[str, Any]) -> str:
    return json.dumps(envelope, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def problem_lines(finding: Finding) -> list[str]:
    """Detail lines worth showing without -v: sub-problems and verbatim tool output."""
    lines = []
    for d in finding.details:
        if d.startswith(("fail: ", "warn: ")):
            body = d.split(": ", 1)[1]
            if body != finding.summary:
                lines.append(body)
        elif d.startswith(("| ", "explained by:", "note: ")):
            lines.append(d)
    return lines


def use_color(stream: IO[str], env: Mapping[str, str]) -> bool:
    if env.get("NO_COLOR", "") != "":
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


def text_console(stream: IO[str], env: Mapping[str, str]) -> Console:
    """The rich console the text reports print through (doctor, verify): colour only when
    :func:`use_color` says so, no highlighting, emoji or wrapping of long lines."""
    from rich.console import Console  # noqa: PLC0415 - rich only for the text reports

    color = use_color(stream, env)
    return Console(
        file=stream,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


def can_encode(stream: IO[str], text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def render_text(
    findings: Sequence[Finding],
    stream: IO[str],
    *,
    header: str,
    verbose: bool = False,
    env: Mapping[str, str] | None = None,
    footer_hint: bool = True,
) -> None:
    """One line per check (``[✓] Title: summary``); problems get their details and fix steps;
    ``verbose`` adds every detail, why it matters, links and durations."""
    from rich.markup import escape  # noqa: PLC0415

    env = os.environ if env is None else env
    console = text_console(stream, env)
    symbols = SYMBOLS if can_encode(stream, "✓✗☠→•") else ASCII_SYMBOLS
    arrow, bullet = ("→", "•") if symbols is SYMBOLS else ("->", "*")
    console.print(escape(header), style="bold")
    console.print()
    for f in findings:
        style = STYLES[f.status]
        timing = f" [{f.duration * 1000:.0f} ms]" if verbose else ""
        console.print(
            f"[{style}]\\[{symbols[f.status]}][/{style}] [bold]{escape(f.title)}[/bold]: {escape(f.summary)}{timing}"
        )
        if verbose:
            shown = [d for d in f.details if d.split(": ", 1)[-1] != f.summary]
        elif f.status.is_problem:
            shown = problem_lines(f)
        else:
            shown = []
        for line in shown:
            console.print(
                f"    {bullet} {escape(line)}", style="dim" if not f.status.is_problem else None
            )
        if f.status.is_problem or verbose:
            if f.fix:
                for s in f.fix.steps:
                    console.print(
                        f"    {arrow} fix ({s.part}, takes effect {s.takes_effect}): {escape(s.summary)}",
                        style="cyan",
                    )
                if f.fix.note:
                    console.print(f"    {arrow} {escape(f.fix.note)}", style="cyan")
            if verbose and f.why and f.status is not Status.SKIP:
                console.print(f"    why: {escape(f.why)}", style="dim")
            if verbose:
                for link in f.links:
                    console.print(f"    see: {escape(link)}", style="dim")
    console.print()
    n = counts(findings)
    problems = n["fail"] + n["error"]
    parts = []
    if n["fail"]:
        parts.append(f"{n['fail']} failed")
    if n["error"]:
        parts.append(f"{n['error']} could not run")
    if n["warn"]:
        parts.append(f"{n['warn']} with warnings")
    parts.append(f"{n['ok']} ok")
    if n["skip"]:
        parts.append(f"{n['skip']} skipped")
    summary = ", ".join(parts)
    checks = f"{len(findings)} check{'s' if len(findings) != 1 else ''}"
    if problems or n["warn"]:
        console.print(f"[bold]{symbols[Status.WARN]} {checks}: {summary}.[/bold]")
        if footer_hint:
            hint = "details: rootless doctor -v" if not verbose else "details above"
            console.print(f"  {hint}; fixes as one script: rootless doctor --fix-script fix.sh")
    else:
        console.print(
            f"[bold green]{bullet} No issues found![/bold green] {len(findings)} checks: {summary}."
        )
