"""Scripts that address compose containers by generated name (`proj_web_1` / `proj-web-1`)."""

from __future__ import annotations

import re

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import engine_call

#: <project><sep><service><sep><index>, the same separator twice
NAME = re.compile(r"^([a-z0-9][a-z0-9.]*?)([_-])([a-z0-9][a-z0-9_.-]*?)\2([0-9]{1,3})$")
ACTIONS = frozenset(
    {"exec", "logs", "stop", "start", "restart", "rm", "kill", "inspect", "port", "top",
     "attach", "wait", "pause", "unpause", "stats", "cp", "container exec", "container logs",
     "container stop", "container start", "container restart", "container rm",
     "container kill", "container inspect", "container cp"}
)  # fmt: skip
EXTENSIONS = "https://github.com/containers/podman-compose/blob/main/docs/Extensions.md"


def _names(cmd: Command) -> list[tuple[int, str]]:
    inv = cmd.invocation
    out = []
    for w in inv.positionals[:3]:
        v = w.value
        if v is None:
            continue
        if inv.action in ("cp", "container cp"):
            v = v.split(":", 1)[0]
        if NAME.match(v):
            out.append((w.start, v))
        if inv.action not in ("cp", "container cp", "rm", "stop", "kill", "restart", "start"):
            break
    return out


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_call(cmd):
        return
    for at, name in _names(cmd):
        m = NAME.match(name)
        assert m is not None
        proj, sep, svc, idx = m.groups()
        other = "-" if sep == "_" else "_"
        yield RULE.note(
            at,
            f"`{name}` is a compose-generated container name: podman-compose writes "
            f"{proj}_{svc}_{idx}, docker compose v2 (also as `podman compose` provider) "
            f"writes {proj}-{svc}-{idx}; the {other!r} form will not be found",
            fix=(
                f"address the service, not the name: `podman compose exec {svc} ...`, or "
                f"--filter label=com.docker.compose.project={proj} --filter "
                f"label=com.docker.compose.service={svc}; podman-compose can use docker's "
                "names with `x-podman: {name_separator_compat: true}` in the compose file"
            ),
        )


RULE = Rule(
    id="compose-container-name",
    summary="scripts using compose container names (proj_web_1 vs proj-web-1): warn",
    example="docker exec myapp_web_1 sh  ->  (warning) podman compose exec web sh, or x-podman name_separator_compat",
    severity=Severity.WARNING,
    link=EXTENSIONS,
    on_command=check,
    actions=ACTIONS,
)
