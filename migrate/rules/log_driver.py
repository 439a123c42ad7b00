"""Log drivers podman lacks -> journald (driver-specific --log-opt dropped)."""

from __future__ import annotations

from rootless.migrate.edits import delete_opt, replace_value
from rootless.migrate.model import Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command
from rootless.migrate.structure import Structure

from ._util import PODMAN_RUN, RUN_CREATE, engine_action

SUPPORTED = frozenset(
    {"k8s-file", "json-file", "journald", "none", "passthrough", "passthrough-tty"}
)
KEEP_OPTS = ("max-size", "path", "tag")


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    inv = cmd.invocation
    drivers = [
        o for o in inv.opts("--log-driver") if o.value is not None and o.value not in SUPPORTED
    ]
    if not drivers:
        return
    # one change for the whole command: drivers repeated or not, the options go once
    edits: list[Edit] = [replace_value(o, "journald") for o in drivers]
    dropped = []
    for lo in inv.opts("--log-opt"):
        key = (lo.value or "").split("=", 1)[0]
        if lo.value is not None and key not in KEEP_OPTS:
            edits.append(delete_opt(cmd, lo))
            dropped.append(key)
    v = drivers[0].value
    extra = f"; dropped --log-opt {', '.join(dropped)}" if dropped else ""
    yield RULE.change(
        edits,
        drivers[0].start,
        f"podman has no `{v}` log driver (it fails with 'invalid log driver'); journald "
        f"keeps the logs{extra}",
        severity=Severity.REVIEW,
        fix=f"forward from the journal to {v} (e.g. rsyslog/fluent-bit journald input)",
    )


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.compose import services, whole_literal  # noqa: PLC0415

    for svc in services(s):
        logging = svc.node.get("logging")
        driver = logging.get("driver") if logging is not None else None
        if driver is None:
            continue
        lit = whole_literal(s, driver)
        if lit is None or lit[2] in SUPPORTED or not lit[2]:
            continue
        opts = logging.get("options") if logging is not None else None
        dropped = [k for k, _, _ in opts.own() if k not in KEEP_OPTS] if opts is not None else []
        extra = (
            f"; remove its options {', '.join(dropped)} (journald does not take them)"
            if dropped
            else ""
        )
        yield RULE.change(
            [Edit(lit[0], lit[1], "journald")],
            lit[0],
            f"service {svc.name}: podman has no `{lit[2]}` log driver (it fails with 'invalid "
            f"log driver'); journald keeps the logs{extra}",
            severity=Severity.REVIEW,
            fix=f"forward from the journal to {lit[2]} (e.g. rsyslog/fluent-bit journald input)",
        )


RULE = Rule(
    id="log-driver",
    summary="--log-driver syslog/gelf/fluentd/... -> journald",
    example="docker run --log-driver syslog app  ->  podman run --log-driver journald app",
    severity=Severity.REVIEW,
    link=f"{PODMAN_RUN}#log-driver-driver",
    on_command=check,
    options=frozenset({"--log-driver"}),
    actions=RUN_CREATE,
    on_structure=check_structure,
    structures=frozenset({"compose"}),
)
