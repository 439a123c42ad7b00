"""Dockerfiles/Containerfiles: instructions with byte spans; ``RUN`` bodies are never edited.

A small lexer (no dependency): parser directives (``# syntax=``, ``# escape=``), comments,
line continuations with the escape character, heredoc bodies (``RUN <<EOF`` ... ``EOF``,
skipped whole so a ``FROM`` inside one is not an instruction), and for each instruction
its keyword, flags and arguments with file offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DIRECTIVE = re.compile(rb"#[ \t]*(syntax|escape|check)[ \t]*=[ \t]*(\S+)", re.I)
HEREDOC = re.compile(rb"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
WORD = re.compile(rb"\S+")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    #: offsets: instruction start, arguments start, end of the (joined) instruction
    start: int
    args_start: int
    end: int
    line: int
    #: (start, text) of each whitespace-separated word of the arguments (continuations
    #: and comment lines inside them skipped)
    words: tuple[tuple[int, str], ...]
    heredoc: bool = False


@dataclass
class Dockerfile:
    instructions: list[Instruction] = field(default_factory=list)
    #: directive name -> (offset, value)
    directives: dict[str, tuple[int, str]] = field(default_factory=dict)


def parse_dockerfile(data: bytes) -> Dockerfile:
    df = Dockerfile()
    n = len(data)
    pos = 0
    line = 1
    escape = b"\\"
    in_directives = True
    while pos < n:
        nl = data.find(b"\n", pos)
        le = n if nl < 0 else nl
        text = data[pos:le].rstrip(b"\r")
        stripped = text.strip()
        if in_directives:
            m = DIRECTIVE.match(stripped)
            if m is not None:
                name = m.group(1).decode().lower()
                df.directives[name] = (pos, m.group(2).decode("utf-8", "replace"))
                if name == "escape" and m.group(2) in (b"`", b"\\"):
                    escape = m.group(2)
                pos, line = le + 1, line + 1
                continue
            in_directives = False
        if not stripped or stripped.startswith(b"#"):
            pos, line = le + 1, line + 1
            continue
        # one instruction, maybe continued over several lines
        start = pos + (len(text) - len(text.lstrip()))
        words: list[tuple[int, str]] = []
        first_line = line
        cur = start
        seg_end = le
        heredocs: list[tuple[bytes, bool]] = []
        while True:
            seg = data[cur:seg_end].rstrip(b"\r")
            cont = seg.rstrip().endswith(escape)
            body = seg.rstrip()[:-1] if cont else seg
            for m in WORD.finditer(body):
                words.append((cur + m.start(), m.group().decode("utf-8", "surrogateescape")))
                for h in HEREDOC.finditer(m.group()):
                    heredocs.append((h.group(3), h.group(1) == b"-"))
            pos, line = seg_end + 1, line + 1
            if not cont or pos >= n:
                break
            # skip comment and empty lines inside a continuation
            while pos < n:
                nl2 = data.find(b"\n", pos)
                e2 = n if nl2 < 0 else nl2
                t2 = data[pos:e2].strip()
                if t2.startswith(b"#") or not t2:
                    pos, line = e2 + 1, line + 1
                    continue
                break
            cur = pos
            nl2 = data.find(b"\n", pos)
            seg_end = n if nl2 < 0 else nl2
        end = min(pos - 1, n) if pos <= n else n
        if not words:
            continue
        keyword = words[0][1].upper()
        args_start = words[1][0] if len(words) > 1 else words[0][0] + len(words[0][1])
        for delim, _dash in heredocs:
            # the body runs up to a line that is the delimiter (leading tabs allowed)
            while pos < n:
                nl2 = data.find(b"\n", pos)
                e2 = n if nl2 < 0 else nl2
                t2 = data[pos:e2].rstrip(b"\r").lstrip(b"\t")
                pos, line = e2 + 1, line + 1
                if t2 == delim:
                    break
            end = min(pos - 1, n)
        df.instructions.append(
            Instruction(
                keyword, start, args_start, end, first_line, tuple(words[1:]), bool(heredocs)
            )
        )
    return df


def _flags(
    words: tuple[tuple[int, str], ...],
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    flags = []
    i = 0
    while i < len(words) and words[i][1].startswith("--"):
        flags.append(words[i])
        i += 1
    return flags, list(words[i:])


def from_parts(
    ins: Instruction,
) -> tuple[tuple[int, str] | None, str | None, list[tuple[int, str]]]:
    """(image word, stage name, flags) of a FROM instruction."""
    flags, rest = _flags(ins.words)
    if not rest:
        return None, None, flags
    stage = None
    if len(rest) >= 3 and rest[1][1].lower() == "as":
        stage = rest[2][1].lower()
    return rest[0], stage, flags


_VAR = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")


def global_args(df: Dockerfile) -> dict[str, tuple[int, str]]:
    """``ARG NAME=default`` before the first FROM: name -> (offset of default, default)."""
    out: dict[str, tuple[int, str]] = {}
    for ins in df.instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword != "ARG":
            continue
        for at, w in ins.words:
            name, eq, default = w.partition("=")
            if eq and default and "$" not in default:
                q = (
                    default[:1]
                    if default[:1] in ("'", '"') and default.endswith(default[:1])
                    else ""
                )
                value = default[1:-1] if q else default
                out[name] = (at + len(name.encode()) + 1 + len(q), value)
    return out


def image_refs(df: Dockerfile) -> list[tuple[int, str]]:
    """Image references a FROM pulls (file offset, reference): stages, ``scratch`` and
    variables without a literal global ``ARG`` default are left out; a ``FROM ${BASE}``
    yields the ARG's default instead."""
    stages: set[str] = set()
    args = global_args(df)
    out: list[tuple[int, str]] = []
    seen: set[int] = set()
    for ins in df.instructions:
        if ins.keyword != "FROM":
            continue
        image, stage, _ = from_parts(ins)
        if image is None:
            continue
        at, ref = image
        if ref.lower() in stages or ref.lower() == "scratch":
            pass
        elif "$" in ref:
            m = _VAR.match(ref)
            name = (m.group(1) or m.group(2)) if m else None
            if name in args and args[name][0] not in seen:
                seen.add(args[name][0])
                out.append(args[name])
            elif m is None and not ref.startswith("$"):
                out.append((at, ref))  # only the tag is variable: node:${V}-alpine
        else:
            out.append((at, ref))
        if stage:
            stages.add(stage)
    return out
