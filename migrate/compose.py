"""The compose file model structure rules share: services, values, and span helpers.

Everything is located in the original text (:mod:`rootless.migrate.yamlspan`); nothing is
serialised. Compose interpolation is respected: in ``${VAR:-default}`` only the default is
literal text, so only the default is ever edited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .model import Edit
from .structure import Structure
from .yamlspan import YNode, indent_of, line_end, line_start, literal_parts, newline_of

COMPOSE_SPEC = "https://github.com/compose-spec/compose-spec/blob/main/spec.md"


@dataclass(frozen=True)
class Service:
    name: str
    key: YNode
    node: YNode


def services(s: Structure) -> list[Service]:
    """The services of a compose file (v1 layout: the root mapping's entries)."""
    cached: list[Service] | None = s.memo.get("services")
    if cached is not None:
        return cached
    root: YNode = s.root
    out: list[Service] = []
    container = root.get("services") if s.memo.get("layout") != "v1" else root
    if container is not None and container.is_map:
        for name, k, v in container.own():
            if v.is_map:
                out.append(Service(name, k, v))
    s.memo["services"] = out
    return out


def owner(node: YNode, key: str) -> YNode | None:
    """The mapping that really holds ``key`` for ``node`` (itself, or a ``<<`` merge)."""
    if node.key_node(key) is not None:
        return node
    for k, v in node.pairs:
        if k.tag == "merge":
            for m in v.items if v.is_seq else [v]:
                found = owner(m, key)
                if found is not None:
                    return found
    return None


def seq_items(node: YNode | None) -> list[YNode]:
    if node is None:
        return []
    if node.is_seq:
        return node.items
    return []


def resolve_defaults(text: str) -> str:
    """``${A:-80}:80`` -> ``80:80`` (variables without a default stay as they are)."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", text)


def literal_spans(s: Structure, node: YNode) -> list[tuple[int, int, str]]:
    """File spans and text of the literal parts of a flow scalar (inside its quotes).

    Returns nothing for block scalars and for quoted scalars with escapes (their text
    differs from the value; compose values are short and rarely need them).
    """
    if not node.is_scalar or node.style in ("|", ">"):
        return []
    a, b = node.text_span()
    raw = s.text(a, b)
    if node.style == '"' and "\\" in raw:
        return []
    if node.style == "'" and "''" in raw:
        return []
    if "\n" in raw:
        return []
    out = []
    for ps, pe in literal_parts(raw):
        bs = a + len(raw[:ps].encode("utf-8", "surrogateescape"))
        be = a + len(raw[:pe].encode("utf-8", "surrogateescape"))
        out.append((bs, be, raw[ps:pe]))
    return out


def whole_literal(s: Structure, node: YNode) -> tuple[int, int, str] | None:
    """The one literal part that is the whole value (or the whole ``${VAR:-default}``)."""
    if not node.is_scalar:
        return None
    parts = literal_spans(s, node)
    a, b = node.text_span()
    raw = s.text(a, b)
    if len(parts) != 1:
        return None
    ps, pe, _ = parts[0]
    if (ps, pe) == (a, b):
        return parts[0]
    m = re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", raw)
    if m is not None:
        return parts[0]
    return None


def add_list_item(s: Structure, holder: YNode, key: str, item: str, after: YNode) -> Edit | None:
    """An edit adding ``item`` to the list ``key`` of mapping ``holder`` (created if absent).

    A new key goes on the line after ``after`` (a value in ``holder``), indented like its
    sibling keys, as a one-line flow list. None when ``holder`` is written in flow style.
    """
    data = s.data
    nl = newline_of(data).decode()
    existing = holder.get(key)
    if existing is not None:
        if existing.is_seq and existing.flow:
            close = existing.end - 1
            if data[close : close + 1] != b"]":
                return None
            inner = data[existing.start + 1 : close].strip()
            return Edit.insert(close, (", " if inner else "") + item)
        if existing.is_seq and existing.items:
            last = existing.items[-1]
            at = line_end(data, last.last_end())
            dash = indent_of(data, last.start)
            prefix = nl if at == len(data) and not data.endswith(b"\n") else ""
            return Edit.insert(at, f"{prefix}{' ' * dash}- {item}{nl}")
        return None
    if holder.flow:
        return None
    k = holder.pairs[0][0] if holder.pairs else None
    if k is None:
        return None
    col = k.start - line_start(data, k.start)
    at = line_end(data, after.last_end())
    prefix = nl if at == len(data) and not data.endswith(b"\n") else ""
    return Edit.insert(at, f"{prefix}{' ' * col}{key}: [{item}]{nl}")


def scalars(node: YNode | None) -> Iterator[YNode]:
    if node is None:
        return
    if node.is_scalar:
        yield node
    elif node.is_seq:
        for i in node.items:
            yield from scalars(i)
