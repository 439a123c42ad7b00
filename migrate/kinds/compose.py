"""Compose files: by name (``compose.yaml``, ``docker-compose*.yml``, ``*.compose.yml``)
and by content (a root ``services:`` mapping of mappings with ``image``/``build``, or the
v1 layout: root entries that are such mappings), whatever the file is called.

The structure rules edit image names, socket volumes, log drivers and ``security_opt``
by span; nothing here runs shell.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rootless.migrate.structure import Structure
from rootless.migrate.yamlspan import YNode

from .base import Extraction, FileKind
from .yamlbase import load, parses

NAME = re.compile(r"^(?:(?:docker-|podman-)?compose(?:[._-][\w.-]*)?|[\w.-]+\.compose)\.ya?ml$")
ROOT_SERVICES = re.compile(rb"(?m)^services[ \t]*:[ \t]*(?:#.*)?\r?$")
V1_HINT = re.compile(
    rb"(?m)^[A-Za-z0-9_.-]+:[ \t]*\r?\n(?:[ \t]*(?:#.*)?\r?\n)*[ \t]+(?:image|build):"
)
SERVICE_KEYS = ("image", "build")


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    if NAME.match(name):
        return True
    if path.suffix not in (".yml", ".yaml"):
        return False
    return ROOT_SERVICES.search(head) is not None or V1_HINT.search(head) is not None


def _is_service(node: YNode) -> bool:
    return node.is_map and any(node.get(k) is not None for k in SERVICE_KEYS)


def layout(root: YNode) -> str | None:
    """ "spec" (``services:``), "v1" (services at the root) or None (not compose)."""
    if not root.is_map:
        return None
    svc = root.get("services")
    if svc is not None:
        if svc.is_map and (not svc.pairs or any(_is_service(v) for _, _, v in svc.own())):
            return "spec"
        if svc.is_map and all(v.is_map for _, _, v in svc.own()):
            return "spec"
        return None
    entries = [v for k, _, v in root.own() if not k.startswith("x-") and k != "version"]
    if entries and all(_is_service(v) for v in entries):
        return "v1"
    return None


def extract(data: bytes) -> Extraction:
    out = Extraction()
    root = load(data, out, "compose file")
    if root is None:
        return out
    kind = layout(root)
    if kind is None:
        return out
    s = Structure("compose", data, root)
    s.memo["layout"] = kind
    out.structure = s
    return out


KIND = FileKind(
    "compose",
    "compose file (by name, or a YAML file with services:)",
    detect,
    extract,
    always=True,
    parses=parses,
)
