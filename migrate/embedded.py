"""Shell inside shell words: alias bodies and ``sh -c '...'`` strings, re-parsed as regions.

The word's quoting is undone piece by piece (single quotes copied verbatim, ``\\"`` in
double quotes read as ``"``), so offsets map back through the quotes; replacement text is
re-quoted for the context it lands in (``'`` inside single quotes becomes ``'\\''``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .regions import Region, RegionBuilder
from .shell import Command, Word

SHELLS = frozenset(
    {
        "sh",
        "bash",
        "dash",
        "zsh",
        "ksh",
        "ash",
        "/bin/sh",
        "/bin/bash",
        "/usr/bin/bash",
        "/usr/bin/env",
    }
)
_SAFE_UNQUOTED = re.compile(r"^[A-Za-z0-9_./:=@%+,-]*$")


def encode_for_quote(text: str, quote: str) -> str:
    if quote == "'":
        return text.replace("'", "'\\''")
    if quote == '"':
        return re.sub(r'([\\"$`])', r"\\\1", text)
    if _SAFE_UNQUOTED.match(text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def unquote_region(parent: Region, word: Word, skip: int = 0, *, origin: str) -> Region | None:
    """A region over the shell text a word stands for (None if it has expansions we can't map)."""
    src = parent.source
    b = RegionBuilder(src)
    i = word.start + len(word.text[:skip].encode("utf-8", "surrogateescape"))
    end = word.end
    while i < end:
        c = src[i : i + 1]
        if c == b"'":
            close = src.find(b"'", i + 1, end)
            if close < 0:
                return None
            b.substitute(i, i + 1, b"", "'")
            b.copy(i + 1, close, "'")
            b.substitute(close, close + 1, b"", "'")
            i = close + 1
        elif c == b'"':
            b.substitute(i, i + 1, b"", '"')
            j = i + 1
            run = j
            while j < end and src[j : j + 1] != b'"':
                if src[j : j + 1] == b"\\" and src[j + 1 : j + 2] in (b'"', b"\\", b"$", b"`"):
                    b.copy(run, j, '"')
                    b.substitute(j, j + 2, src[j + 1 : j + 2], '"')
                    j = run = j + 2
                    continue
                j += 1
            if j >= end:
                return None
            b.copy(run, j, '"')
            b.substitute(j, j + 1, b"", '"')
            i = j + 1
        elif c == b"\\":
            b.substitute(i, i + 2, src[i + 1 : i + 2])
            i += 2
        elif c == b"$" and src[i + 1 : i + 2] == b"'":
            return None
        else:
            j = i
            while j < end and src[j : j + 1] not in (b"'", b'"', b"\\") and src[j : j + 2] != b"$'":
                j += 1
            b.copy(i, j)
            i = j
    region = b.build(origin=origin, parent=parent)
    return Region(
        region.source,
        region.pieces,
        origin=origin,
        encoder=lambda text, pos: encode_for_quote(text, region.quote_at(pos)),
        parent=parent,
        attrs=dict(parent.attrs),
    )


def embedded_regions(cmd: Command) -> Iterator[Region]:
    """Alias bodies (``alias d='docker ps'``) and ``sh -c 'docker ...'`` strings."""
    prog = cmd.program
    if prog == "alias":
        for w in cmd.args:
            eq = w.text.find("=")
            if eq <= 0 or w.text.startswith("-"):
                continue
            name = w.text[:eq]
            if not re.match(r"^[A-Za-z0-9_.:@+-]+$", name):
                continue
            region = unquote_region(cmd.region, w, eq + 1, origin="alias body")
            if region is not None and region.source.strip():
                yield region
    elif prog in SHELLS:
        args = cmd.args
        if prog == "/usr/bin/env":
            return
        for i, w in enumerate(args[:-1]):
            if (
                w.value is not None
                and w.value.startswith("-")
                and not w.value.startswith("--")
                and "c" in w.value
            ):
                body = args[i + 1]
                region = unquote_region(cmd.region, body, origin=f"{prog} -c string")
                if region is not None:
                    yield region
                return
            if w.value is None or not w.value.startswith("-"):
                return
