"""Jenkinsfiles: the literal string of each ``sh '…'``/``sh \"\"\"…\"\"\"`` step is a shell region.

A small Groovy lexer finds ``sh`` steps outside comments and other strings: ``sh '…'``,
``sh(\"…\")``, ``sh script: '''…'''``, ``sh(label: 'x', script: \"…\")``. Groovy escapes are
undone piece by piece (``\\'``, ``\\\"``, ``\\\\``, ``\\$``) and GString interpolation
(``${expr}``, ``$name``) reads as an opaque ``${_groovy}``, so offsets map back and
replacement text is escaped for the literal it lands in. Uses of the Docker Pipeline
plugin (``docker.image(…)``, ``agent { docker … }``) are the structure for their rule.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rootless.migrate.regions import RegionBuilder
from rootless.migrate.structure import Structure

from .base import Extraction, FileKind

STEP = re.compile(
    rb"\bsh\b[ \t]*\(?[ \t]*(?:(?:label|returnStdout|returnStatus|encoding)[ \t]*:[^,]*,[ \t]*)*(?:script[ \t]*:[ \t]*)?"
)
DSL = re.compile(
    rb"\bdocker\s*\.\s*(?:image|build|withRegistry|withServer|withTool)\b|\bagent\s*\{\s*(?:docker|dockerfile)\b"
)
IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_.]*")


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    return name == "Jenkinsfile" or name.startswith("Jenkinsfile.") or name.endswith(".jenkinsfile")


def _string_end(data: bytes, i: int) -> tuple[bytes, int, int] | None:
    """At a quote: (delimiter, content start, content end) of the literal."""
    for delim in (b"'''", b'"""', b"'", b'"'):
        if data.startswith(delim, i):
            j = i + len(delim)
            while j < len(data):
                if data[j : j + 1] == b"\\":
                    j += 2
                    continue
                if data.startswith(delim, j):
                    return delim, i + len(delim), j
                if len(delim) == 1 and data[j : j + 1] == b"\n":
                    return None
                j += 1
            return None
    return None


def _encoder(delim: bytes) -> object:
    double = delim.startswith(b'"')
    single_line = len(delim) == 1

    def enc(text: str, pos: int) -> str:
        text = text.replace("\\", "\\\\")
        if double:
            text = text.replace("$", "\\$")
            if single_line:
                text = text.replace('"', '\\"')
        elif single_line:
            text = text.replace("'", "\\'")
        return text

    return enc


def _region(data: bytes, delim: bytes, start: int, end: int) -> RegionBuilder:
    b = RegionBuilder(data)
    double = delim.startswith(b'"')
    i = run = start
    while i < end:
        c = data[i : i + 1]
        if c == b"\\" and i + 1 < end:
            b.copy(run, i)
            nxt = data[i + 1 : i + 2]
            b.substitute(i, i + 2, {b"n": b"\n", b"t": b"\t"}.get(nxt, nxt))
            i = run = i + 2
            continue
        if double and c == b"$":
            b.copy(run, i)
            if data[i + 1 : i + 2] == b"{":
                close = data.find(b"}", i, end)
                close = end if close < 0 else close + 1
            else:
                m = IDENT.match(data, i + 1, end)
                close = m.end() if m else i + 1
            if close == i + 1:
                b.copy(i, i + 1)
            else:
                b.substitute(i, close, b"${_groovy}")
            i = run = close
            continue
        i += 1
    b.copy(run, end)
    return b


def extract(data: bytes) -> Extraction:
    out = Extraction()
    dsl: list[tuple[int, str]] = []
    n = len(data)
    i = 0
    while i < n:
        c = data[i : i + 1]
        if data.startswith(b"//", i):
            nl = data.find(b"\n", i)
            i = n if nl < 0 else nl
            continue
        if data.startswith(b"/*", i):
            e = data.find(b"*/", i + 2)
            i = n if e < 0 else e + 2
            continue
        if c in (b"'", b'"'):
            lit = _string_end(data, i)
            if lit is None:
                i += 1
                continue
            delim, _, ce = lit
            i = ce + len(delim)
            continue
        if c == b"s":
            m = STEP.match(data, i)
            if m is not None and (i == 0 or not data[i - 1 : i].isalnum()):
                j = m.end()
                lit = _string_end(data, j)
                if lit is not None:
                    delim, cs, ce = lit
                    b = _region(data, delim, cs, ce)
                    out.regions.append(
                        b.build(origin="sh step", encoder=_encoder(delim))  # type: ignore[arg-type]
                    )
                    i = ce + len(delim)
                    continue
        if c in (b"d", b"a"):
            m = DSL.match(data, i)
            if m is not None and (i == 0 or not data[i - 1 : i].isalnum()):
                dsl.append((i, m.group().decode()))
                i = m.end()
                continue
        i += 1
    out.structure = Structure("jenkinsfile", data, dsl)
    return out


KIND = FileKind("jenkinsfile", "Jenkinsfile (sh steps)", detect, extract)
