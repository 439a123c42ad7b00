"""`docker-host-env`: DOCKER_HOST / DOCKER_CONTEXT do not send tools to the old daemon."""

from __future__ import annotations

import json
import posixpath

from rootless.doctor.common import fix, note
from rootless.doctor.host import HostFileError
from rootless.doctor.model import Assessment, Outcome, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

_POINT_AT_PODMAN = (
    "point Docker tools at podman: `export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock` "
    "(after `systemctl --user enable --now podman.socket`), or remove DOCKER_HOST/DOCKER_CONTEXT from your shell profile"
)


@check(
    "docker-host-env",
    "DOCKER_HOST and Docker contexts",
    requires=("not-root",),
    why="Docker clients (compose, IDEs, CI tools) follow DOCKER_HOST and the current context; left on the old daemon they never use podman.",
    templates=("note",),
)
def check_docker_host_env(ctx: Context) -> Outcome:
    host = ctx.host
    if host.impersonated:
        return skip("skipped: the environment of another user's session is not visible from here")
    a = Assessment()
    docker_host = host.env.get("DOCKER_HOST", "")
    remedy = fix(note(_POINT_AT_PODMAN, part="user", effect="re-login"))
    if docker_host:
        if "podman" in docker_host:
            a.ok(f"DOCKER_HOST={docker_host} points at podman")
        else:
            a.warn(f"DOCKER_HOST={docker_host} points at a Docker daemon, not podman", remedy)
    context = host.env.get("DOCKER_CONTEXT", "")
    if context and context != "default":
        a.warn(f"DOCKER_CONTEXT={context}: Docker tools use that context, not podman", remedy)
    config = posixpath.join(host.env.get("HOME") or host.home, ".docker/config.json")
    try:
        text = host.read_text(config)
        current = json.loads(text).get("currentContext", "") if text else ""
    except (HostFileError, ValueError, AttributeError) as exc:
        a.info(f"{config} is not readable JSON: {exc}")
        current = ""
    if current and current != "default":
        a.warn(f"{config} selects the Docker context {current!r}", remedy)
    a.data.update(docker_host=docker_host, context=context or current)
    return a.outcome("DOCKER_HOST is not set and no Docker context is selected")
