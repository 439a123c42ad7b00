"""Compose v1 layout (services at the document root): wrap them under `services:`."""

from __future__ import annotations

from rootless.migrate.compose import COMPOSE_SPEC, services
from rootless.migrate.model import Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    if s.memo.get("layout") != "v1":
        return
    names = [svc.name for svc in services(s)]
    if not names:
        return
    yield RULE.note(
        services(s)[0].key.start,
        "this is the Compose v1 layout (services at the root); podman-compose and docker "
        "compose v2 expect them under services:",
        fix=f"add a `services:` line at the top and indent {', '.join(names)} under it",
    )


RULE = Rule(
    id="compose-v1-layout",
    summary="Compose v1 layout (no services: key): wrap the services under services:",
    example="web:\\n  image: nginx  ->  (warning) services:\\n  web:\\n    image: nginx",
    severity=Severity.WARNING,
    link=COMPOSE_SPEC,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
