"""`DOCKER_HOST=unix:///var/run/docker.sock` -> the user's podman socket."""

from __future__ import annotations

import re

from rootless.migrate.edits import byte_offset
from rootless.migrate.model import DOCS, Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Assignment

from .docker_socket import quote_context

UNIX = re.compile(r"unix://(?:/var)?/run/docker\.sock")
FIX = "systemctl --user enable --now podman.socket"


def check(a: Assignment, ctx: RuleContext) -> Result:
    if a.name != "DOCKER_HOST" or a.value is None:
        return
    w = a.value
    m = UNIX.search(w.text)
    if m is not None and a.dialect == "crontab":
        yield RULE.note(
            w.start,
            "cron does not expand variables in its environment lines: write the user's socket "
            "path literally",
            severity=Severity.WARNING,
            fix="DOCKER_HOST=unix:///run/user/UID/podman/podman.sock (UID: `id -u`); " + FIX,
        )
    elif m is not None and a.dialect == "yaml":
        yield RULE.note(
            w.start,
            "DOCKER_HOST points at the Docker socket; CI variables are not expanded by a "
            "shell, so ${XDG_RUNTIME_DIR} cannot be written here",
            severity=Severity.WARNING,
            fix=(
                'set it in a step: echo "DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock"'
                ' >> "$GITHUB_ENV" (GitLab: export it in before_script); ' + FIX
            ),
        )
    elif m is not None:
        q = quote_context(w.text, m.start())
        target = "unix://${XDG_RUNTIME_DIR}/podman/podman.sock"
        extra = ""
        if a.dialect == "env":
            extra = (
                "; the program reading this file must expand ${XDG_RUNTIME_DIR} "
                "(systemd EnvironmentFile= does not: write /run/user/UID/... there)"
            )
        if q == "'":
            target = "unix://'\"${XDG_RUNTIME_DIR}\"'/podman/podman.sock"
        yield RULE.change(
            [Edit(byte_offset(w, m.start()), byte_offset(w, m.end()), target)],
            w.start,
            "API clients (compose providers, SDKs) reach podman through the user's socket" + extra,
            severity=Severity.REVIEW,
            fix=FIX,
        )
    elif a.dialect == "yaml" and re.match(r"^[\"']?tcp://docker:237[56]", w.text):
        return  # GitLab's dind service: the gitlab-dind rule explains the whole setup
    elif re.match(r"^[\"']?(?:tcp|ssh)://", w.text):
        yield RULE.note(
            w.start,
            "DOCKER_HOST points at a remote Docker engine: podman does not read it for its own "
            "commands",
            severity=Severity.WARNING,
            fix="podman system connection add NAME ssh://user@host/run/user/UID/podman/podman.sock",
        )


RULE = Rule(
    id="docker-host",
    summary="DOCKER_HOST=unix:///var/run/docker.sock -> the user's podman socket",
    example="export DOCKER_HOST=unix:///var/run/docker.sock  ->  export DOCKER_HOST=unix://${XDG_RUNTIME_DIR}/podman/podman.sock",
    severity=Severity.REVIEW,
    link=f"{DOCS}/podman-system-service.1.html",
    on_assignment=check,
)
