"""`--link` does not exist in podman: use a network."""

from __future__ import annotations

from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command
from rootless.migrate.structure import Structure

from ._util import RUN_CREATE, engine_action


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    for o in cmd.invocation.opts("--link"):
        target = (o.value or "NAME").split(":")
        alias = f" --network-alias {target[1]}" if len(target) > 1 else ""
        yield RULE.note(
            o.start,
            "podman has no --link: put both containers on one network; they then reach each "
            "other by name",
            fix=(
                f"podman network create appnet; start {target[0]} with --network appnet{alias}; "
                f"replace `{o.words[0].text}{' ' + o.words[1].text if len(o.words) > 1 else ''}` "
                "with --network appnet (or run both in a pod)"
            ),
        )


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import seq_items, services  # noqa: PLC0415

    for svc in services(s):
        links = svc.node.get("links")
        items = [i.value for i in seq_items(links) if i.is_scalar]
        if links is not None and items:
            aliased = [i.split(":", 1) for i in items if ":" in i]
            diff = [f"  {svc.name}:", "-   links:"] + [f"-     - {i}" for i in items]
            if aliased:
                for target, alias in aliased:
                    diff += [
                        f"  {target}:",
                        "+   networks:",
                        "+     default:",
                        f"+       aliases: [{alias}]",
                    ]
            yield RULE.note(
                (svc.node.key_node("links") or links).start,
                f"service {svc.name}: links are not supported by podman (compat API: 'link is "
                "not supported'); services on the project network already reach each other "
                "by name" + ("; aliases need a network alias on the target" if aliased else ""),
                fix="suggested change: " + " | ".join(diff),
            )
        ext = svc.node.get("external_links")
        if ext is not None:
            yield RULE.note(
                (svc.node.key_node("external_links") or ext).start,
                f"service {svc.name}: external_links are not supported by podman: join the "
                "other container's network instead",
                fix=(
                    "networks: {other: {external: true, name: NETWORK_OF_THAT_CONTAINER}} on "
                    "this service (and `podman network connect` for the external container)"
                ),
            )


RULE = Rule(
    id="link-flag",
    summary="--link is not supported: warn and show the network replacement",
    example="docker run --link db app  ->  (warning) podman network create appnet; --network appnet",
    severity=Severity.WARNING,
    link=f"{DOCS}/podman-network-create.1.html",
    on_command=check,
    options=frozenset({"--link"}),
    actions=RUN_CREATE,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
