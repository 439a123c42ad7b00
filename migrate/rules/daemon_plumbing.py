"""Docker daemon plumbing: there is no daemon to start and no docker group to join."""

from __future__ import annotations

import re

from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

UNITS = re.compile(r"^docker(?:\.service|\.socket)?$")
PROGRAMS = frozenset(
    {"systemctl", "service", "/etc/init.d/docker", "dockerd", "/usr/bin/dockerd", "usermod",
     "gpasswd", "adduser", "groupadd", "newgrp", "sg"}
)  # fmt: skip
FIX = (
    "delete it; if an API client needs a socket (compose provider, Testcontainers): "
    "systemctl --user enable --now podman.socket"
)


def _message(cmd: Command) -> str | None:
    prog = cmd.program
    vals = [w.value or "" for w in cmd.args]
    if prog == "systemctl" and any(UNITS.match(v) for v in vals):
        return "there is no docker daemon to manage"
    if prog == "service" and vals[:1] == ["docker"]:
        return "there is no docker daemon to manage"
    if prog in ("/etc/init.d/docker", "dockerd", "/usr/bin/dockerd"):
        return "there is no daemon: podman runs containers as child processes"
    if prog in ("usermod", "gpasswd", "adduser") and "docker" in vals:
        return "the docker group is root-equivalent and unnecessary with rootless podman"
    if (prog in ("groupadd", "newgrp", "sg") and vals[-1:] == ["docker"]) or (
        prog == "sg" and vals[:1] == ["docker"]
    ):
        return "the docker group is root-equivalent and unnecessary with rootless podman"
    return None


def check(cmd: Command, ctx: RuleContext) -> Result:
    if cmd.node_type != "command":
        return
    msg = _message(cmd)
    if msg is not None and cmd.name is not None:
        yield RULE.note(cmd.name.start, msg, fix=FIX)


RULE = Rule(
    id="daemon-plumbing",
    summary="systemctl start docker, dockerd, usermod -aG docker: not needed, warn",
    example="sudo usermod -aG docker $USER  ->  (warning) delete; no docker group with podman",
    severity=Severity.WARNING,
    link=f"{DOCS}/podman-system-service.1.html",
    on_command=check,
    scope="any",
    programs=PROGRAMS,
)
