"""YAML located, never re-dumped: ruamel.yaml node positions as byte spans of the original.

ruamel.yaml (imported lazily) composes the document in round-trip mode; every node keeps
its start and end mark. :func:`parse` turns that into a small tree of :class:`YNode`
with *byte* offsets into the file (anchors and aliases are the same node object, so an
aliased value is edited once, where it is written). Rules then edit the original text by
span: comments, anchors, quoting, flow style and indentation all survive because nothing
is ever serialised again.

:func:`scalar_region` cuts a scalar's *value* out of the file as a
:class:`~rootless.migrate.regions.Region` (block scalar indentation, folding, quote
escapes undone piece by piece), so a GitHub Actions ``run: |`` block or a GitLab
``script:`` item goes through the shell rules and their edits map back into the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .regions import Region, RegionBuilder


class YAMLError(Exception):
    """The document does not parse (message with line and column)."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(eq=False, slots=True)
class YNode:
    """One YAML node: ``kind`` is "map", "seq" or "scalar"; offsets are file bytes."""

    kind: str
    start: int
    end: int
    tag: str = ""
    #: scalars: the loaded value (a string, whatever the tag)
    value: str = ""
    #: scalars: None (plain), "'", '"', "|", ">"; collections: "flow" or None
    style: str | None = None
    pairs: list[tuple[YNode, YNode]] = field(default_factory=list)
    items: list[YNode] = field(default_factory=list)
    #: the anchor name when the composer reports it (libyaml's does not); aliases are this node
    anchor: str | None = None
    #: key -> value of own keys (first occurrence), built on the first lookup
    _index: dict[str, YNode] | None = field(default=None, repr=False)

    # -- convenience ---------------------------------------------------------------------

    def get(self, key: str) -> YNode | None:
        """The value of ``key`` in a mapping (merge keys ``<<`` followed), else None."""
        if self.kind != "map":
            return None
        index = self._index
        if index is None:
            index = {}
            self._index = index
            merged = False
            for k, v in self.pairs:
                if k.kind == "scalar":
                    if k.tag == "merge":
                        merged = True
                    elif k.value not in index:
                        index[k.value] = v
            if merged:
                index["\0merge"] = self
        found = index.get(key)
        if found is not None or "\0merge" not in index:
            return found
        for k, v in self.pairs:
            if k.tag == "merge":
                for m in v.items if v.kind == "seq" else [v]:
                    found = m.get(key)
                    if found is not None:
                        return found
        return None

    def key_node(self, key: str) -> YNode | None:
        """The key node itself (own keys only)."""
        for k, _ in self.pairs:
            if k.kind == "scalar" and k.value == key and k.tag != "merge":
                return k
        return None

    def own(self) -> Iterator[tuple[str, YNode, YNode]]:
        """(key, key node, value) of a mapping's own scalar keys."""
        for k, v in self.pairs:
            if k.kind == "scalar" and k.tag != "merge":
                yield k.value, k, v

    def entries(self) -> Iterator[tuple[str, YNode]]:
        """Own and merged (``<<``) keys, own ones first, each key once."""
        seen: set[str] = set()
        for key, _, v in self.own():
            if key not in seen:
                seen.add(key)
                yield key, v
        for k, v in self.pairs:
            if k.tag == "merge":
                for m in v.items if v.kind == "seq" else [v]:
                    for key, mv in m.entries():
                        if key not in seen:
                            seen.add(key)
                            yield key, mv

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def flow(self) -> bool:
        return self.style == "flow"

    def text_span(self) -> tuple[int, int]:
        """Bytes of a flow scalar's text inside its quotes (plain: the whole scalar)."""
        if self.style in ("'", '"'):
            return self.start + 1, self.end - 1
        return self.start, self.end

    def last_end(self) -> int:
        """End of the last scalar in this node (block collections end at the next token)."""
        if self.kind == "scalar" or self.flow:
            return self.end
        children: list[YNode] = [v for _, v in self.pairs] if self.kind == "map" else self.items
        if not children:
            return self.start
        return max(c.last_end() for c in children)


class _Offsets:
    """Character index (ruamel marks) -> byte offset (only non-ASCII files pay for it)."""

    def __init__(self, text: str, data: bytes) -> None:
        self.identity = len(text) == len(data)
        self._map: list[int] = []
        if not self.identity:
            pos = 0
            for ch in text:
                self._map.append(pos)
                pos += len(ch.encode("utf-8", "surrogateescape"))
            self._map.append(pos)

    def __call__(self, index: int) -> int:
        return index if self.identity else self._map[index]


_TAGS = {
    "tag:yaml.org,2002:str": "str",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:merge": "merge",
    "tag:yaml.org,2002:map": "map",
    "tag:yaml.org,2002:seq": "seq",
}


def _compose(text: str) -> list[Any]:
    """Nodes with their marks, from ruamel.yaml.

    libyaml's parser (ruamel.yaml.clib) is tried first, with tag resolution cut down to
    what the rules use (``<<`` merge keys; everything else is text): about twenty times
    faster than the pure-Python round-trip parser. libyaml follows YAML 1.1 and rejects a
    few YAML 1.2 inputs that compose files use (``[/a:/b]`` in flow lists), so on any
    error the round-trip parser decides. Only nodes and marks are used, never constructed
    objects, so both give the same spans.
    """
    fast = _fast_parser()
    if fast is not None:
        try:
            p = fast(text)
            docs = []
            while p.check_node():
                docs.append(p.get_node())
            return docs
        except Exception:  # noqa: S110 - the round-trip parser gives the real error
            pass
    from ruamel.yaml import YAML  # noqa: PLC0415 - heavy, only for YAML files

    return list(YAML(typ="rt").compose_all(text))


@lru_cache(maxsize=1)
def _fast_parser() -> Any:
    try:
        from _ruamel_yaml import CParser  # type: ignore[import-not-found]  # noqa: PLC0415
        from ruamel.yaml.nodes import MappingNode, ScalarNode  # noqa: PLC0415
        from ruamel.yaml.tag import Tag  # noqa: PLC0415
    except ImportError:
        return None
    # one Tag object per resolved tag: the nodes share them instead of each building its own
    str_tag = Tag(suffix="tag:yaml.org,2002:str")
    merge_tag = Tag(suffix="tag:yaml.org,2002:merge")
    map_tag = Tag(suffix="tag:yaml.org,2002:map")
    seq_tag = Tag(suffix="tag:yaml.org,2002:seq")
    _SHARED_TAGS.update({id(str_tag): "str", id(merge_tag): "merge", id(map_tag): "map"})
    _SHARED_TAGS[id(seq_tag)] = "seq"

    class _Composer(CParser):  # type: ignore[misc]
        """libyaml events composed into nodes; implicit tags: merge key or text."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode:
                if value == "<<" and implicit[0]:
                    return merge_tag
                return str_tag
            return map_tag if kind is MappingNode else seq_tag

        def descend_resolver(self, *args: Any) -> None:
            pass

        def ascend_resolver(self, *args: Any) -> None:
            pass

    return _Composer


#: id() of the Tag objects the fast composer shares -> short tag name
_SHARED_TAGS: dict[int, str] = {}


def parse(data: bytes) -> list[YNode]:
    """The documents of a YAML stream as :class:`YNode` trees (raises :class:`YAMLError`)."""
    from ruamel.yaml.error import MarkedYAMLError  # noqa: PLC0415
    from ruamel.yaml.error import YAMLError as RuamelError  # noqa: PLC0415

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # YAML must be UTF-8; nothing in such a file is safe to edit
        raise YAMLError("the file is not UTF-8", exc.start) from None
    off = _Offsets(text, data)
    try:
        roots = _compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = off(mark.index) if mark is not None and mark.index <= len(text) else 0
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise YAMLError(f"{exc.problem or exc}{where}", at) from None
    except (RuamelError, ValueError, RecursionError) as exc:
        raise YAMLError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    memo: dict[int, YNode] = {}
    return [_convert(r, off, memo) for r in roots if r is not None]


def _tag(node: Any) -> str:
    ct = node.ctag
    if ct is None:
        return ""
    shared = _SHARED_TAGS.get(id(ct))
    if shared is not None:
        return shared
    # Tag.__str__ decodes URIs on every call (slow); resolved tags have no handle
    text = ct.suffix if ct.handle is None else str(ct)
    return _TAGS.get(text, text)


def _convert(node: Any, off: _Offsets, memo: dict[int, YNode]) -> YNode:
    # aliases are the anchored node object itself (libyaml's composer does not even set
    # .anchor): memoise every node so an alias becomes the same YNode, recursion included
    key = id(node)
    found = memo.get(key)
    if found is not None:
        return found
    raw_anchor: Any = node.anchor
    if raw_anchor is not None:
        anchor = raw_anchor.value if hasattr(raw_anchor, "value") else raw_anchor
    else:
        anchor = None
    tag = _tag(node)
    if off.identity:
        start, end = node.start_mark.index, node.end_mark.index
    else:
        start, end = off(node.start_mark.index), off(node.end_mark.index)
    cls = type(node).__name__
    if cls == "ScalarNode":
        y = YNode("scalar", start, end, tag, str(node.value), node.style, anchor=anchor)
        memo[key] = y
        return y
    flow = "flow" if node.flow_style else None
    if cls == "MappingNode":
        y = YNode("map", start, end, tag, style=flow, anchor=anchor)
        memo[key] = y
        y.pairs = [(_convert(k, off, memo), _convert(v, off, memo)) for k, v in node.value]
        return y
    y = YNode("seq", start, end, tag, style=flow, anchor=anchor)
    memo[key] = y
    y.items = [_convert(i, off, memo) for i in node.value]
    return y


# -- positions ----------------------------------------------------------------------------


def line_start(data: bytes, pos: int) -> int:
    return data.rfind(b"\n", 0, pos) + 1


def line_end(data: bytes, pos: int) -> int:
    """Offset just after the newline ending the line that holds ``pos`` (or the file end)."""
    nl = data.find(b"\n", pos)
    return len(data) if nl < 0 else nl + 1


def indent_of(data: bytes, pos: int) -> int:
    """Columns of leading blanks on the line holding ``pos``."""
    s = line_start(data, pos)
    i = s
    while data[i : i + 1] == b" ":
        i += 1
    return i - s


def newline_of(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data[:4096] else b"\n"


# -- interpolation ----------------------------------------------------------------------

_INTERP = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+])([^}]*)\}")


def interpolation_default(text: str) -> tuple[int, int] | None:
    """Span (in ``text``) of the default in a whole-value ``${VAR:-default}``, if any."""
    m = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]*)\}", text)
    if m is None:
        return None
    return m.span(2)


def literal_parts(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are literal after compose interpolation.

    ``${VAR:-default}`` contributes its default, ``$$`` is literal; other ``$`` forms are
    opaque (no span).
    """
    out: list[tuple[int, int]] = []
    i = 0
    run = 0
    while i < len(text):
        c = text[i]
        if c == "$":
            if text[i + 1 : i + 2] == "$":
                i += 2
                continue
            if run < i:
                out.append((run, i))
            m = re.match(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)([^}]*)\}", text[i:])
            if m is not None:
                out.append((i + m.start(3), i + m.end(3)))
                i += m.end()
            else:
                m2 = re.match(r"\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)?", text[i:])
                i += max(1, m2.end() if m2 else 1)
            run = i
            continue
        i += 1
    if run < len(text):
        out.append((run, len(text)))
    return out


# -- scalars as regions -----------------------------------------------------------------

#: copy host ``[start, end)`` into the builder (hook for ``${{ }}`` and similar)
Feed = Callable[[RegionBuilder, int, int], None]


def _plain_feed(b: RegionBuilder, start: int, end: int) -> None:
    b.copy(start, end)


def _strip_cr(data: bytes, s: int, e: int) -> int:
    return e - 1 if e > s and data[e - 1 : e] == b"\r" else e


#: double-quoted YAML escapes that map one-to-one onto a character of the value
_SIMPLE_ESCAPES = {b'"': b'"', b"\\": b"\\", b"/": b"/", b"n": b"\n", b"t": b"\t", b" ": b" "}


def scalar_region(
    data: bytes,
    node: YNode,
    *,
    origin: str,
    feed: Feed | None = None,
    encoder: Callable[[str, int], str] | None = None,
    attrs: dict[str, str] | None = None,
) -> Region | None:
    """The scalar's value as a region of the file (None: not a scalar we can map)."""
    if node.kind != "scalar":
        return None
    feed = feed or _plain_feed
    b = RegionBuilder(data)
    style = node.style
    nl = "\r\n" if newline_of(data) == b"\r\n" else "\n"
    if style in ("|", ">"):
        ind = _block_lines(data, node)
        if ind is None:
            return None
        indent, lines = ind
        pad = " " * indent

        def enc_literal(text: str, pos: int) -> str:
            return text.replace("\n", nl + pad)

        def enc_folded(text: str, pos: int) -> str:
            return text.replace("\n", nl + nl + pad)

        for k, (ls, le, content) in enumerate(lines):
            if not content:  # empty line
                b.substitute(ls, le, b"\n")
                continue
            cs = ls + indent
            ce = le
            if ce > cs and data[ce - 1 : ce] == b"\n":
                ce -= 1
            ce = _strip_cr(data, cs, ce)
            more = data[cs : cs + 1] in (b" ", b"\t")
            b.substitute(ls, cs, b"")
            feed(b, cs, ce)
            nxt = lines[k + 1] if k + 1 < len(lines) else None
            folds = (
                style == ">"
                and nxt is not None
                and nxt[2]
                and not more
                and data[nxt[0] + indent : nxt[0] + indent + 1] not in (b" ", b"\t")
            )
            b.substitute(ce, le, b" " if folds else b"\n")
        enc = enc_literal if style == "|" else enc_folded
        return b.build(
            origin=origin,
            encoder=_chain(encoder, enc),
            attrs=attrs,
        )
    s, e = node.text_span()
    if style == "'":
        i = s
        run = s
        while i < e:
            if data[i : i + 2] == b"''":
                feed(b, run, i)
                b.substitute(i, i + 2, b"'")
                i = run = i + 2
                continue
            if data[i : i + 1] in (b"\n", b"\r"):
                feed(b, run, i)
                j = _fold_break(data, i, e)
                b.substitute(i, j, b" " if data.count(b"\n", i, j) == 1 else b"\n")
                i = run = j
                continue
            i += 1
        feed(b, run, e)
        return b.build(
            origin=origin,
            encoder=_chain(encoder, lambda t, p: t.replace("'", "''")),
            attrs=attrs,
        )
    if style == '"':
        i = s
        run = s
        while i < e:
            c = data[i : i + 1]
            if c == b"\\":
                feed(b, run, i)
                esc = data[i + 1 : i + 2]
                if esc in _SIMPLE_ESCAPES:
                    b.substitute(i, i + 2, _SIMPLE_ESCAPES[esc])
                    i = run = i + 2
                elif esc in (b"\n", b"\r"):
                    j = _fold_break(data, i + 1, e)
                    b.substitute(i, j, b"")
                    i = run = j
                else:
                    return None  # \x41, \u00e9 ...: not worth mapping
                continue
            if c in (b"\n", b"\r"):
                feed(b, run, i)
                j = _fold_break(data, i, e)
                b.substitute(i, j, b" " if data.count(b"\n", i, j) == 1 else b"\n")
                i = run = j
                continue
            i += 1
        feed(b, run, e)
        return b.build(
            origin=origin,
            encoder=_chain(encoder, lambda t, p: t.replace("\\", "\\\\").replace('"', '\\"')),
            attrs=attrs,
        )
    # plain scalar (may span lines: they fold)
    i = s
    run = s
    while i < e:
        if data[i : i + 1] in (b"\n", b"\r"):
            j = _fold_break(data, i, e)
            end = i
            while end > run and data[end - 1 : end] in (b" ", b"\t"):
                end -= 1
            feed(b, run, end)
            b.substitute(end, j, b" " if data.count(b"\n", i, j) == 1 else b"\n")
            i = run = j
            continue
        i += 1
    feed(b, run, e)
    return b.build(origin=origin, encoder=encoder, attrs=attrs)


def _chain(
    first: Callable[[str, int], str] | None, second: Callable[[str, int], str]
) -> Callable[[str, int], str]:
    if first is None:
        return second
    return lambda t, p: second(first(t, p), p)


def _fold_break(data: bytes, i: int, end: int) -> int:
    """From a line break at ``i``: past all following blank lines and indentation."""
    j = i
    while j < end and data[j : j + 1] in (b"\n", b"\r", b" ", b"\t"):
        j += 1
    return j


def _block_lines(data: bytes, node: YNode) -> tuple[int, list[tuple[int, int, bool]]] | None:
    """Indentation and (start, end, has-content) of each content line of a block scalar."""
    header_end = line_end(data, node.start)
    header = data[node.start : header_end].split(b"#", 1)[0]
    m = re.match(rb"[|>]([1-9])?[+-]?([1-9])?", header.strip())
    explicit = None
    if m is not None and (m.group(1) or m.group(2)):
        explicit = indent_of(data, node.start) + int(m.group(1) or m.group(2))
    lines: list[tuple[int, int, bool]] = []
    pos = header_end
    end = max(node.end, header_end)
    indent = explicit
    while pos < end:
        le = line_end(data, pos)
        raw = data[pos:le].rstrip(b"\r\n")
        blank = not raw.strip(b" ")
        if not blank and indent is None:
            indent = len(raw) - len(raw.lstrip(b" "))
        if not blank and indent is not None and len(raw) - len(raw.lstrip(b" ")) < indent:
            break
        lines.append((pos, le, not blank))
        pos = le
    if indent is None:
        return None
    while lines and not lines[-1][2]:
        lines.pop()
    return indent, lines


def walk(node: YNode) -> Iterator[YNode]:
    """Every node once (aliases are visited where they are defined)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        if n.kind == "map":
            for k, v in reversed(n.pairs):
                stack.extend((v, k))
        elif n.kind == "seq":
            stack.extend(reversed(n.items))
