"""`docker-socket`: the rootful Docker daemon's socket is gone or out of the user's reach."""

from __future__ import annotations

import os

from rootless.doctor.common import fix, step
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


@check(
    "docker-socket",
    "Rootful Docker socket",
    requires=("not-root",),
    why=(
        "While /var/run/docker.sock is reachable, tools and scripts keep talking to the root "
        "daemon instead of podman, and access to it is root-equivalent."
    ),
    templates=("disable-docker",),
)
def check_docker_socket(ctx: Context) -> Outcome:
    host = ctx.host
    a = Assessment()
    seen: set[str] = set()
    for path in SOCKETS:
        if not host.exists(path):
            continue
        real = host.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        if host.access(path, os.R_OK | os.W_OK):
            a.warn(
                f"{path} is usable by {host.user}: the rootful Docker daemon is still reachable (root-equivalent)",
                fix(
                    step(
                        "disable-docker",
                        "stop and disable the rootful Docker daemon (after the migration)",
                        part="root",
                        effect="now",
                    )
                ),
            )
        else:
            a.ok(f"{path} exists but {host.user} cannot use it")
    if seen:
        daemons = sorted({p.pid for p in host.processes() if p.name == "dockerd"})
        if daemons:
            a.info(f"dockerd is running (pid {', '.join(map(str, daemons))})")
    a.data["sockets"] = sorted(seen)
    return a.outcome("no rootful Docker socket is reachable")
