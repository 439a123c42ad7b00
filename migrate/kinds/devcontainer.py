"""Dev containers (``.devcontainer/devcontainer.json``, ``.devcontainer.json``; JSON with
comments): ``runArgs`` and ``mounts`` go through the run-option rules.

The file is read through the YAML locator (JSON is YAML once ``//`` and ``/* */`` comments
are blanked out, byte for byte, so offsets stay). ``runArgs`` becomes one region that
reads ``podman run ARG ARG …`` (the prefix is synthetic: nothing maps to it, so only the
arguments can be edited); each ``mounts`` entry reads ``podman run --mount ENTRY``.
Replacement text is JSON-escaped, and ``${XDG_RUNTIME_DIR}`` becomes the devcontainer
variable ``${localEnv:XDG_RUNTIME_DIR}``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from rootless.migrate.regions import RegionBuilder
from rootless.migrate.structure import Structure
from rootless.migrate.yamlspan import YNode

from .base import Extraction, FileKind
from .yamlbase import load


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    return name == ".devcontainer.json" or (
        name == "devcontainer.json" and ".devcontainer" in path.parts
    )


def blank_comments(data: bytes) -> bytes:
    """JSONC -> JSON of the same length (comments become spaces, newlines kept)."""
    out = bytearray(data)
    i = 0
    n = len(data)
    while i < n:
        c = data[i : i + 1]
        if c == b'"':
            i += 1
            while i < n and data[i : i + 1] != b'"':
                i += 2 if data[i : i + 1] == b"\\" else 1
            i += 1
            continue
        if data.startswith(b"//", i):
            e = data.find(b"\n", i)
            e = n if e < 0 else e
            out[i:e] = b" " * (e - i)
            i = e
            continue
        if data.startswith(b"/*", i):
            e = data.find(b"*/", i + 2)
            e = n if e < 0 else e + 2
            for k in range(i, e):
                if out[k : k + 1] != b"\n":
                    out[k] = 0x20
            i = e
            continue
        i += 1
    return bytes(out)


def _json(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("${XDG_RUNTIME_DIR}", "${localEnv:XDG_RUNTIME_DIR}")


def _encode(text: str, pos: int) -> str:
    """Shell words -> JSON array elements (a blank between words ends one string)."""
    return '", "'.join(_json(w) for w in text.split(" "))


def _feed_json(b: RegionBuilder, node: YNode) -> bool:
    if not node.is_scalar or node.style != '"':
        return False
    s, e = node.text_span()
    data = b.host
    i = run = s
    while i < e:
        if data[i : i + 1] == b"\\":
            b.copy(run, i)
            nxt = data[i + 1 : i + 2]
            if nxt not in (b'"', b"\\", b"/"):
                return False
            b.substitute(i, i + 2, nxt)
            i = run = i + 2
            continue
        i += 1
    b.copy(run, e)
    return True


def extract(data: bytes) -> Extraction:
    out = Extraction()
    root = load(blank_comments(data), out, "devcontainer.json")
    if root is None or not root.is_map:
        return out
    out.structure = Structure("devcontainer", data, root)
    args = root.get("runArgs")
    if args is not None and args.is_seq and args.items:
        b = RegionBuilder(data)
        b.substitute(args.items[0].start, args.items[0].start, b"podman run ")
        ok = True
        for k, item in enumerate(args.items):
            if k:
                prev = args.items[k - 1]
                b.substitute(prev.end - 1, item.start + 1, b" ")
            else:
                b.substitute(item.start, item.start + 1, b"")
            ok = ok and _feed_json(b, item)
        if ok:
            out.regions.append(b.build(origin="runArgs", encoder=_encode))
    mounts = root.get("mounts")
    for m in mounts.items if mounts is not None and mounts.is_seq else []:
        b = RegionBuilder(data)
        if m.is_scalar:
            b.substitute(m.start, m.start, b"podman run --mount ")
            if _feed_json(b, m):
                out.regions.append(b.build(origin="mounts entry", encoder=_encode))
        elif m.is_map:
            src = m.get("source")
            if src is not None and src.is_scalar:
                b.substitute(src.start, src.start, b"podman run --mount type=bind,source=")
                if _feed_json(b, src):
                    out.regions.append(b.build(origin="mounts entry", encoder=_encode))
    return out


def parses(data: bytes) -> bool:
    from rootless.migrate.yamlspan import YAMLError, parse  # noqa: PLC0415

    try:
        parse(blank_comments(data))
    except YAMLError:
        return False
    return True


KIND = FileKind(
    "devcontainer",
    "dev container config (runArgs, mounts)",
    detect,
    extract,
    always=True,
    parses=parses,
)
