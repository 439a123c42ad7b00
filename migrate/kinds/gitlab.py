"""GitLab CI (``.gitlab-ci.yml``, ``*.gitlab-ci.yml``): ``script``/``before_script``/
``after_script`` items are shell regions; ``variables:`` are assignments; the parsed file
is the structure for the dind rule."""

from __future__ import annotations

from pathlib import PurePosixPath

from rootless.migrate.structure import Structure
from rootless.migrate.yamlspan import YNode, scalar_region

from .base import Extraction, FileKind
from .github import env_assignments
from .yamlbase import load, parses

SCRIPTS = ("before_script", "script", "after_script")
RESERVED = frozenset(
    {"stages", "variables", "include", "workflow", "default", "image", "services", "cache",
     "before_script", "after_script", "types", "spec"}
)  # fmt: skip


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    return name in (".gitlab-ci.yml", ".gitlab-ci.yaml") or name.endswith(
        (".gitlab-ci.yml", ".gitlab-ci.yaml")
    )


def _script_items(node: YNode | None) -> list[YNode]:
    if node is None:
        return []
    if node.is_scalar:
        return [node]
    out: list[YNode] = []
    if node.is_seq:
        for i in node.items:
            out += _script_items(i)
    return out


def jobs(root: YNode) -> list[tuple[str, YNode]]:
    return [
        (name, v)
        for name, _, v in root.own()
        if v.is_map and name not in RESERVED and not name.startswith(".")
    ] + [(name, v) for name, _, v in root.own() if v.is_map and name.startswith(".")]


def extract(data: bytes) -> Extraction:
    out = Extraction()
    root = load(data, out, "GitLab CI file")
    if root is None or not root.is_map:
        return out
    out.structure = Structure("gitlab-ci", data, root)
    env_assignments(data, root.get("variables"), out, "yaml")
    holders: list[YNode] = [root]
    default = root.get("default")
    if default is not None and default.is_map:
        holders.append(default)
    for _, job in jobs(root):
        holders.append(job)
        env_assignments(data, job.get("variables"), out, "yaml")
    seen: set[int] = set()
    for h in holders:
        for key in SCRIPTS:
            if h is root and key == "script":
                continue
            for item in _script_items(h.get(key)):
                if id(item) in seen:
                    continue
                seen.add(id(item))
                region = scalar_region(data, item, origin=f"{key} item")
                if region is not None:
                    out.regions.append(region)
    return out


KIND = FileKind(
    "gitlab-ci", "GitLab CI file (scripts, dind services)", detect, extract, parses=parses
)
