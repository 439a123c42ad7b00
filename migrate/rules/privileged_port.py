"""Host ports below 1024 cannot be bound by an unprivileged user by default."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command
from rootless.migrate.structure import Structure

from ._util import ROOTLESS_MD, RUN_CREATE, engine_action, host_port


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    for o in cmd.invocation.opts("--publish"):
        port = host_port(o.value or "")
        if port is None or port >= 1024:
            continue
        spec = (o.value or "").strip("\"'")
        remapped = spec.replace(f"{port}:", f"{port + 8000}:", 1)
        yield RULE.note(
            o.start,
            f"host port {port} is privileged: rootless podman cannot bind it by default",
            fix=(
                f"publish -p {remapped} instead, or allow it once as root: "
                f"sysctl -w net.ipv4.ip_unprivileged_port_start={port} "
                "(persist in /etc/sysctl.d/)"
            ),
        )


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import resolve_defaults, seq_items, services  # noqa: PLC0415

    for svc in services(s):
        for item in seq_items(svc.node.get("ports")):
            if item.is_scalar:
                spec = resolve_defaults(item.value)
                port = host_port(spec)
                remapped = spec.replace(f"{port}:", f"{(port or 0) + 8000}:", 1)
            elif item.is_map:
                pub = item.get("published")
                spec = resolve_defaults(pub.value) if pub is not None and pub.is_scalar else ""
                head = spec.split("-", 1)[0]
                port = int(head) if head.isdigit() else None
                remapped = f"published: {(port or 0) + 8000}"
            else:
                continue
            if port is None or port >= 1024:
                continue
            yield RULE.note(
                item.start,
                f"service {svc.name}: host port {port} is privileged: rootless podman cannot "
                "bind it by default",
                fix=(
                    f'publish "{remapped}" instead, or allow it once as root: '
                    f"sysctl -w net.ipv4.ip_unprivileged_port_start={port} "
                    "(persist in /etc/sysctl.d/)"
                ),
            )


RULE = Rule(
    id="privileged-port",
    summary="published host ports < 1024: offer a remap or the sysctl",
    example="docker run -p 80:80 nginx  ->  (warning) -p 8080:80 or net.ipv4.ip_unprivileged_port_start=80",
    severity=Severity.WARNING,
    link=ROOTLESS_MD,
    on_command=check,
    options=frozenset({"--publish"}),
    actions=RUN_CREATE,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
