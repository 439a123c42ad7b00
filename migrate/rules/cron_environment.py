"""Rootless podman from cron needs the user's runtime directory and linger."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import TROUBLESHOOTING, engine_call


def check(cmd: Command, ctx: RuleContext) -> Result:
    region = cmd.region
    while region.parent is not None and region.origin != "crontab":
        region = region.parent
    compose = (cmd.program or "").endswith("docker-compose")
    if region.origin != "crontab" or not (engine_call(cmd) or compose) or cmd.name is None:
        return
    user = region.attrs.get("cron_user")
    # one note per crontab entry: anchored at the start of the entry's command
    at = 0 if cmd.region is region else cmd.name.start
    if user == "root":
        yield RULE.note(
            at,
            "this entry runs as root: podman there is rootful, with a store separate from the "
            "user's images and containers",
            fix="move the entry to the user's crontab (crontab -e as that user) or a user timer",
        )
        return
    yield RULE.note(
        at,
        "cron starts jobs without XDG_RUNTIME_DIR and without a login session: rootless "
        "podman needs both",
        fix=(
            "loginctl enable-linger USER; add XDG_RUNTIME_DIR=/run/user/UID at the top of the "
            "crontab (or use a systemd user timer)"
        ),
    )


RULE = Rule(
    id="cron-environment",
    summary="podman in crontabs needs XDG_RUNTIME_DIR and linger (root entries: rootful)",
    example="@daily docker system prune -f  ->  (warning) set XDG_RUNTIME_DIR, enable linger",
    severity=Severity.WARNING,
    link=TROUBLESHOOTING,
    on_command=check,
    scope="any",
    origins=frozenset({"crontab"}),
)
