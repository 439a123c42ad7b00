"""`alias docker=podman`: recognised, and explained (it never reaches scripts)."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

NAMES = frozenset({"docker", "docker-compose"})
TARGETS = frozenset({"podman", "podman-compose", "podman compose", "/usr/bin/podman"})


def check(cmd: Command, ctx: RuleContext) -> Result:
    if cmd.node_type != "command" or cmd.program != "alias":
        return
    for w in cmd.args:
        v = w.value
        if v is None or "=" not in v:
            continue
        name, _, body = v.partition("=")
        if name in NAMES and body.strip() in TARGETS:
            yield RULE.note(
                w.start,
                f"`alias {name}={body}` only works in interactive shells: scripts, make, cron and "
                "systemd never see aliases",
                fix=(
                    "keep it for your shell (see `rootless migrate --aliases`); for programs that "
                    "must call `docker`, install podman-docker or "
                    '`ln -s "$(command -v podman)" ~/.local/bin/docker`'
                ),
            )


RULE = Rule(
    id="docker-alias",
    summary="alias docker=podman is recognised: works interactively only (info)",
    example="alias docker=podman  ->  (info) scripts never see aliases",
    severity=Severity.INFO,
    link="https://github.com/containers/podman/issues/18248",
    on_command=check,
    scope="any",
    programs=frozenset({"alias"}),
)
