"""Top-level `version:` in a compose file is obsolete (information only)."""

from __future__ import annotations

from rootless.migrate.compose import COMPOSE_SPEC
from rootless.migrate.model import Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    if s.memo.get("layout") != "spec":
        return
    key = s.root.key_node("version")
    if key is not None:
        yield RULE.note(
            key.start,
            "the top-level version: is obsolete (the compose spec ignores it; podman-compose "
            "warns about it); it can stay or go",
        )


RULE = Rule(
    id="compose-version",
    summary="top-level version: is obsolete in compose files (info)",
    example='version: "3.8"  ->  (info) obsolete, ignored',
    severity=Severity.INFO,
    link=f"{COMPOSE_SPEC}#version-top-level-element-obsolete",
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
