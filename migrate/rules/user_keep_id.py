"""`--user "$(id -u):$(id -g)"` with bind mounts -> `--userns=keep-id`."""

from __future__ import annotations

import re

from rootless.migrate.edits import replace_opt
from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import PODMAN_RUN, RUN_CREATE, engine_action

UID = r"(?:\$\(id -u(?: \S+)?\)|`id -u(?: \S+)?`|\$\{?UID\}?|\$\{?EUID\}?)"
GID = r"(?:\$\(id -g(?: \S+)?\)|`id -g(?: \S+)?`|\$\{?GID\}?|\$\{?EGID\}?)"
MINE = re.compile(rf"^{UID}(?::{GID})?$")


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    inv = cmd.invocation
    users = inv.opts("--user")
    if len(users) != 1 or inv.has("--userns") or not inv.bind_mounts:
        return
    o = users[0]
    raw = (o.value_text or "").replace('"', "").replace("'", "")
    if not MINE.match(raw):
        return
    yield RULE.change(
        replace_opt(cmd, o, "--userns=keep-id"),
        o.start,
        "rootless: container uid N is a sub-uid on the host, so files written to bind mounts "
        "would not be yours; --userns=keep-id runs as your uid/gid and maps it to itself",
        severity=Severity.REVIEW,
    )


RULE = Rule(
    id="user-keep-id",
    summary='--user "$(id -u):$(id -g)" with bind mounts -> --userns=keep-id',
    example='docker run --user "$(id -u):$(id -g)" -v "$PWD:/src" img  ->  podman run --userns=keep-id -v "$PWD:/src" img',
    severity=Severity.REVIEW,
    link=f"{PODMAN_RUN}#userns-mode",
    on_command=check,
    options=frozenset({"--user"}),
    actions=RUN_CREATE,
)
