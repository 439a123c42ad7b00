"""Makefiles: recipes go to the shell rules, ``DOCKER ?= docker`` to the assignment rules.

A recipe is fed to the shell parser as make would hand it to ``/bin/sh``: the leading TAB
and the ``@``/``-``/``+`` prefixes are dropped, ``$$`` reads as ``$``, ``$(VAR)`` and
``${VAR}`` read as the shell expansion ``${VAR}``, and make functions (``$(shell ...)``,
``$(call ...)``) and automatic variables (``$@``, ``$<``) read as an opaque
``${_make_expr}``. The offset map keeps every position tied to the Makefile, and
replacement text is written back with ``$`` doubled.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rootless.migrate.regions import Region, RegionBuilder
from rootless.migrate.shell import Assignment, Word

from .base import Extraction, FileKind

NAMES = frozenset({"Makefile", "makefile", "GNUmakefile"})
SUFFIXES = frozenset({".mk", ".make"})

ASSIGN = re.compile(
    rb"(?:(?:override|export|private)[ \t]+)*([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*(\?=|::?=|:::=|\+=|!=|=)[ \t]*"
)
RULE_LINE = re.compile(rb"^[^\t#=][^=]*?:(?!=)")
VAR_NAME = re.compile(rb"^[A-Za-z_][A-Za-z0-9_]*$")
COMMANDISH = re.compile(rb"^(?:sudo\s+)?(?:docker|podman|docker-compose)\s+\S")


def detect(path: PurePosixPath, head: bytes) -> bool:
    return path.name in NAMES or path.suffix in SUFFIXES or path.name.startswith("Makefile.")


def _encode(text: str, pos: int) -> str:
    return text.replace("$", "$$")


def _close(data: bytes, i: int, end: int) -> int:
    """Index after the ``)``/``}`` matching the opener at ``data[i]`` (or -1)."""
    opener = data[i : i + 1]
    closer = b")" if opener == b"(" else b"}"
    depth = 0
    j = i
    while j < end:
        c = data[j : j + 1]
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


def _feed(b: RegionBuilder, data: bytes, start: int, end: int) -> None:
    """Copy make text ``[start, end)`` into the builder, translating make's ``$``."""
    i = start
    run = start
    while i < end:
        k = data.find(b"$", i, end)
        if k < 0:
            break
        b.copy(run, k)
        nxt = data[k + 1 : k + 2]
        if nxt == b"$":
            b.substitute(k, k + 2, b"$")
            i = run = k + 2
        elif nxt in (b"(", b"{"):
            close = _close(data, k + 1, end)
            if close < 0:
                b.substitute(k, end, b"${_make_expr}")
                return
            inner = data[k + 2 : close - 1]
            if VAR_NAME.match(inner):
                b.substitute(k, close, b"${" + inner + b"}")
            else:
                b.substitute(k, close, b"${_make_expr}")
            i = run = close
        elif nxt and (nxt.isalnum() or nxt == b"_"):
            b.substitute(k, k + 2, b"${" + nxt + b"}")
            i = run = k + 2
        elif nxt:
            b.substitute(k, k + 2, b"${_make_expr}")
            i = run = k + 2
        else:
            b.copy(k, k + 1)
            i = run = k + 1
    b.copy(run, end)


def _lines(data: bytes) -> list[tuple[int, int]]:
    """(start, end-including-newline) of each physical line."""
    out = []
    i = 0
    n = len(data)
    while i < n:
        j = data.find(b"\n", i)
        j = n if j < 0 else j + 1
        out.append((i, j))
        i = j
    return out


def _content_end(data: bytes, s: int, e: int) -> int:
    """End of a line's content (before \\r\\n or \\n)."""
    if e > s and data[e - 1 : e] == b"\n":
        e -= 1
    if e > s and data[e - 1 : e] == b"\r":
        e -= 1
    return e


def _continued(data: bytes, s: int, e: int) -> bool:
    ce = _content_end(data, s, e)
    # an odd number of backslashes at the end continues the line
    k = ce
    while k > s and data[k - 1 : k] == b"\\":
        k -= 1
    return (ce - k) % 2 == 1


def extract(data: bytes) -> Extraction:
    out = Extraction()
    whole = Region.whole(data, origin="Makefile", encoder=_encode)
    lines = _lines(data)
    i = 0
    in_rule = False
    builder: RegionBuilder | None = None

    def flush() -> None:
        nonlocal builder
        if builder is not None:
            region = builder.build(origin="make recipe", encoder=_encode)
            if region.source.strip():
                out.regions.append(region)
        builder = None

    in_define = False
    while i < len(lines):
        s, e = lines[i]
        line = data[s:e]
        if in_define:
            if line.strip().startswith(b"endef"):
                in_define = False
            i += 1
            continue
        if line.startswith(b"\t") and in_rule:
            # one logical recipe line, maybe continued over several physical lines
            if builder is None:
                builder = RegionBuilder(data)
            first = True
            while True:
                s, e = lines[i]
                p = s
                if data[p : p + 1] == b"\t":
                    builder.substitute(p, p + 1, b"")
                    p += 1
                if first:
                    q = p
                    while data[q : q + 1] in (b"@", b"-", b"+", b" "):
                        q += 1
                    if q > p:
                        builder.substitute(p, q, b"")
                        p = q
                cont = _continued(data, s, e)
                _feed(builder, data, p, e)
                first = False
                i += 1
                if not cont or i >= len(lines):
                    break
            continue
        flush()
        stripped = line.strip()
        if stripped.startswith(b"define ") or stripped == b"define":
            in_define = True
            i += 1
            continue
        if not stripped or stripped.startswith(b"#"):
            i += 1
            continue
        # join continued non-recipe lines
        j = i
        while _continued(data, *lines[j]) and j + 1 < len(lines):
            j += 1
        ls, le = lines[i][0], _content_end(data, *lines[j])
        m = ASSIGN.match(data, ls, le)
        if m:
            in_rule = False
            _assignment(data, m, le, whole, out)
        elif RULE_LINE.match(data[ls:le]):
            in_rule = True
        else:
            # conditionals (ifeq/else/endif), includes: keep the rule context
            in_rule = in_rule and stripped.split()[0] in (
                b"ifeq",
                b"ifneq",
                b"ifdef",
                b"ifndef",
                b"else",
                b"endif",
            )
        i = j + 1
    flush()
    return out


def _assignment(data: bytes, m: re.Match[bytes], le: int, whole: Region, out: Extraction) -> None:
    name = m.group(1).decode("ascii", "replace")
    op = m.group(2).decode()
    vs = m.end()
    ve = le
    # a `#` starts a comment in make (unless escaped)
    h = vs
    while True:
        h = data.find(b"#", h, ve)
        if h < 0:
            break
        if data[h - 1 : h] != b"\\":
            ve = h
            break
        h += 1
    while ve > vs and data[ve - 1 : ve] in (b" ", b"\t"):
        ve -= 1
    raw = data[vs:ve].decode("utf-8", "surrogateescape")
    value = None if "$" in raw or "\\\n" in raw else raw
    out.assignments.append(
        Assignment(
            name, m.start(1), ve, Word(vs, ve, raw, value), whole, dialect="make", operator=op
        )
    )
    if value is not None:
        out.variables.setdefault(name, value)
    if op == "!=" or COMMANDISH.match(data[vs:ve]):
        b = RegionBuilder(data)
        _feed(b, data, vs, ve)
        out.regions.append(b.build(origin="make variable", encoder=_encode))


KIND = FileKind("makefile", "Makefile (recipes and variables)", detect, extract)
