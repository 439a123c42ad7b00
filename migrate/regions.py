"""Embedded shell regions: shell text cut out of a host file, with a map back into it.

A whole shell script is one region with the identity map. A Makefile recipe is a region
whose text differs from the file (leading TABs dropped, ``$$`` read as ``$``, ``$(VAR)``
read as ``${VAR}``); an alias body is a region inside a quoted string of another region.
Later file kinds (YAML ``run:`` blocks, systemd ``ExecStart=``, Jenkinsfile ``sh`` bodies)
build regions the same way and reuse the shell rules unchanged.

A region's text is made of *pieces*. A verbatim piece is a byte-for-byte copy of a host
range; a synthetic piece stands for a host range it does not copy (an unescaped ``\\"``,
a ``$$``). Edits may start or end anywhere inside verbatim pieces and on piece
boundaries, so an edit that replaces a whole word containing a synthetic piece maps back
cleanly, while one that would cut a synthetic piece in half is refused. Replacement text
is passed through the region's encoder (Makefile: ``$`` -> ``$$``; single-quoted alias:
``'`` -> ``'\\''``) and then through its parent's.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

#: (replacement text, region position of the edit start) -> text as it must appear in the host
Encoder = Callable[[str, int], str]


@dataclass(frozen=True, slots=True)
class Piece:
    """Region bytes ``[start, end)`` stand for host bytes ``[host_start, host_end)``."""

    start: int
    end: int
    host_start: int
    host_end: int
    verbatim: bool
    #: quoting context in the host at this piece: "" (none), "'" or '"'
    quote: str = ""


def _identity_encoder(text: str, pos: int) -> str:
    return text


@dataclass(frozen=True)
class Region:
    """Shell text plus where each of its bytes came from in the enclosing text.

    ``parent`` is the region this one was cut from (None: the host file itself); positions
    map through every level up to the file.
    """

    source: bytes
    pieces: tuple[Piece, ...]
    #: what the region is, for messages: "script", "make recipe", "alias body", ...
    origin: str = "script"
    encoder: Encoder = _identity_encoder
    parent: Region | None = None
    #: facts about the region for rules, e.g. {"cron_user": "root"}
    attrs: dict[str, str] = field(default_factory=dict, compare=False)
    _starts: tuple[int, ...] = field(default=(), repr=False, compare=False)
    _identity: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(p.start for p in self.pieces))
        # the common case (a whole script): positions map to themselves, text is kept
        p = self.pieces
        object.__setattr__(
            self,
            "_identity",
            self.parent is None
            and len(p) == 1
            and p[0].verbatim
            and p[0].start == p[0].host_start == 0
            and p[0].end == p[0].host_end,
        )

    @classmethod
    def whole(
        cls, data: bytes, *, origin: str = "script", encoder: Encoder | None = None
    ) -> Region:
        """The identity region over a whole file."""
        return cls(
            data,
            (Piece(0, len(data), 0, len(data), True),),
            origin=origin,
            encoder=encoder or _identity_encoder,
        )

    # -- position mapping (one level) -------------------------------------------------

    def _piece_at(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self._starts, pos) - 1)

    def _local_start(self, pos: int) -> int | None:
        if not self.pieces:
            return None
        i = self._piece_at(pos)
        p = self.pieces[i]
        if p.start == pos:
            return p.host_start
        if p.verbatim and p.start <= pos < p.end:
            return p.host_start + (pos - p.start)
        if pos == p.end:  # region end, or end of a piece followed by a gap
            return p.host_end
        return None

    def _local_end(self, pos: int) -> int | None:
        if not self.pieces:
            return None
        i = self._piece_at(pos)
        # prefer the last non-empty piece that ends at pos (before any dropped host bytes)
        while i >= 0:
            p = self.pieces[i]
            if p.verbatim and p.start < pos <= p.end:
                return p.host_start + (pos - p.start)
            if p.end == pos and (p.end > p.start or i == 0):
                return p.host_end
            if p.end < pos:
                return None
            i -= 1
        return self.pieces[0].host_start if pos == 0 else None

    def _local_point(self, pos: int) -> int:
        if not self.pieces:
            return 0
        p = self.pieces[self._piece_at(pos)]
        if p.verbatim:
            return p.host_start + min(max(pos - p.start, 0), p.end - p.start)
        return p.host_start

    # -- position mapping (to the file) -----------------------------------------------

    def host_span(self, start: int, end: int) -> tuple[int, int] | None:
        """File offsets of region span ``[start, end)``, or None if it cuts a synthetic piece."""
        if self._identity and 0 <= start <= end <= len(self.source):
            return start, end
        if start == end:
            a = self._local_start(start)
            b = a
        else:
            a = self._local_start(start)
            b = self._local_end(end)
        if a is None or b is None or b < a:
            return None
        if self.parent is None:
            return a, b
        return self.parent.host_span(a, b)

    def host_point(self, pos: int) -> int:
        """Best file offset for a note at ``pos`` (always defined)."""
        if self._identity:
            return min(max(pos, 0), len(self.source))
        p = self._local_point(pos)
        return p if self.parent is None else self.parent.host_point(p)

    def encode(self, text: str, pos: int) -> str:
        """Replacement text as it must be written into the file."""
        out = self.encoder(text, pos)
        if self.parent is None:
            return out
        return self.parent.encode(out, self._local_point(pos))

    def quote_at(self, pos: int) -> str:
        if not self.pieces:
            return ""
        return self.pieces[self._piece_at(pos)].quote

    def depth(self) -> int:
        return 0 if self.parent is None else 1 + self.parent.depth()


class RegionBuilder:
    """Build a region from host bytes, piece by piece (host offsets relative to ``base``)."""

    def __init__(self, host: bytes, *, base: int = 0) -> None:
        self.host = host
        self.base = base
        self._out = bytearray()
        self._pieces: list[Piece] = []

    def copy(self, start: int, end: int, quote: str = "") -> None:
        """Copy host ``[start, end)`` verbatim."""
        if end <= start:
            return
        pos = len(self._out)
        self._out += self.host[start:end]
        last = self._pieces[-1] if self._pieces else None
        if (
            last is not None
            and last.verbatim
            and last.end == pos
            and last.host_end == self.base + start
            and last.quote == quote
        ):
            self._pieces[-1] = Piece(
                last.start, pos + end - start, last.host_start, self.base + end, True, quote
            )
        else:
            self._pieces.append(
                Piece(pos, pos + end - start, self.base + start, self.base + end, True, quote)
            )

    def substitute(self, start: int, end: int, text: bytes, quote: str = "") -> None:
        """Host ``[start, end)`` reads as ``text`` (may be empty: the host bytes are dropped)."""
        pos = len(self._out)
        self._out += text
        self._pieces.append(
            Piece(pos, pos + len(text), self.base + start, self.base + end, False, quote)
        )

    def build(
        self,
        *,
        origin: str,
        encoder: Encoder | None = None,
        parent: Region | None = None,
        attrs: dict[str, str] | None = None,
    ) -> Region:
        pieces = tuple(p for p in self._pieces if p.end > p.start or p.host_end > p.host_start)
        return Region(
            bytes(self._out),
            pieces,
            origin=origin,
            encoder=encoder or _identity_encoder,
            parent=parent,
            attrs=attrs or {},
        )
