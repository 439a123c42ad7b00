"""`--ulimit memlock=-1` is not unlimited for an unprivileged user."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command
from rootless.migrate.structure import Structure

from ._util import PODMAN_RUN, RUN_CREATE, engine_action


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    for o in cmd.invocation.opts("--ulimit"):
        v = (o.value or "").strip("\"'")
        if v.startswith("memlock=") and "-1" in v:
            yield RULE.note(
                o.start,
                "memlock=-1 means 'your current hard limit' when rootless, not unlimited: "
                "images that lock memory (Elasticsearch bootstrap.memory_lock) fail",
                fix=(
                    "raise the user's hard limit (/etc/security/limits.d: `USER hard memlock "
                    "unlimited`, or LimitMEMLOCK= in the user unit) or disable memory locking"
                ),
            )


def _minus_one(node: object) -> bool:
    from rootless.migrate.yamlspan import YNode  # noqa: PLC0415

    assert isinstance(node, YNode)
    if node.is_scalar:
        return node.value.strip() == "-1"
    if node.is_map:
        return any(v.is_scalar and v.value.strip() == "-1" for _, _, v in node.own())
    return False


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import services  # noqa: PLC0415

    for svc in services(s):
        ul = svc.node.get("ulimits")
        mem = ul.get("memlock") if ul is not None else None
        if mem is not None and _minus_one(mem):
            yield RULE.note(
                mem.start,
                f"service {svc.name}: memlock -1 means 'your current hard limit' when "
                "rootless, not unlimited: images that lock memory (Elasticsearch, OpenSearch, "
                "Wazuh indexer with bootstrap.memory_lock) fail to start",
                fix=(
                    "raise the user's hard limit (/etc/security/limits.d: `USER hard memlock "
                    "unlimited`, or LimitMEMLOCK=infinity in user@.service) or set "
                    "bootstrap.memory_lock=false"
                ),
            )


RULE = Rule(
    id="ulimit-memlock",
    summary="--ulimit memlock=-1 is capped by the user's limit: warn",
    example="docker run --ulimit memlock=-1:-1 es  ->  (warning) raise the user's memlock limit",
    severity=Severity.WARNING,
    link=f"{PODMAN_RUN}#ulimit-option",
    on_command=check,
    options=frozenset({"--ulimit"}),
    actions=RUN_CREATE,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
