"""`docker context`, `--context`, `DOCKER_CONTEXT`: podman uses system connections."""

from __future__ import annotations

from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Assignment, Command

from ._util import engine_call

FIX = "podman system connection add NAME ssh://user@host/run/user/UID/podman/podman.sock; then `podman --connection NAME ...` or `podman system connection default NAME`"


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_call(cmd):
        return
    inv = cmd.invocation
    if inv.noun == "context" and inv.subcommand:
        yield RULE.note(
            inv.subcommand[0].start,
            "podman accepts `context` only as a hidden no-op alias: the command would silently "
            "talk to the local engine",
            fix=FIX,
        )
    for o in inv.global_opts:
        if o.name in ("--context", "-c"):
            yield RULE.note(
                o.start,
                "podman ignores --context (kept for script compatibility): the command would "
                "run against the local engine",
                fix=FIX,
            )


def check_assignment(a: Assignment, ctx: RuleContext) -> Result:
    if a.name == "DOCKER_CONTEXT":
        yield RULE.note(a.start, "podman does not read DOCKER_CONTEXT", fix=FIX)


RULE = Rule(
    id="docker-context",
    summary="docker context / --context / DOCKER_CONTEXT: use podman system connection",
    example="docker context use prod  ->  (warning) podman system connection default prod",
    severity=Severity.WARNING,
    link=f"{DOCS}/podman-system-connection.1.html",
    on_command=check,
    on_assignment=check_assignment,
)
