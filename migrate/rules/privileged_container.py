"""`privileged: true` gives a rootless container only the user's own privileges."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure

from ._util import TROUBLESHOOTING


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import services  # noqa: PLC0415

    for svc in services(s):
        p = svc.node.get("privileged")
        if p is not None and p.is_scalar and p.value.lower() in ("true", "yes", "on"):
            yield RULE.note(
                p.start,
                f"service {svc.name}: a rootless privileged container only has your user's "
                "privileges: host devices you cannot open, mknod, loading modules and most "
                "sysctls still fail",
                fix=(
                    "grant what it really needs (cap_add, devices, group_add: [keep-groups]) "
                    "or keep this service rootful"
                ),
            )


RULE = Rule(
    id="privileged-container",
    summary="compose privileged: true is limited to the user's privileges when rootless: warn",
    example="privileged: true  ->  (warning) cap_add/devices instead, or keep it rootful",
    severity=Severity.WARNING,
    link=TROUBLESHOOTING,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
