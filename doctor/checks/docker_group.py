"""`docker-group`: the user is not in the `docker` group (root-equivalent while dockerd runs)."""

from __future__ import annotations

from rootless.doctor.common import fix, step
from rootless.doctor.model import Outcome, Status, ok
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "docker-group",
    "Not in group docker",
    requires=("not-root",),
    why="Members of group docker control the root daemon: root-equivalent. After the move to podman nobody needs it.",
    templates=("docker-group",),
)
def check_docker_group(ctx: Context) -> Outcome:
    host = ctx.host
    group = next((g for g in host.group_entries() if g.name == "docker"), None)
    if group is None:
        return ok("there is no docker group")
    if group.gid in host.groups or host.user in group.members:
        return Outcome(
            Status.WARN,
            f"{host.user} is in group docker (gid {group.gid}): root-equivalent while dockerd runs",
            fix=fix(
                step(
                    "docker-group",
                    f"remove {host.user} from group docker",
                    part="root",
                    effect="re-login",
                    user=host.user,
                )
            ),
        )
    return ok(f"{host.user} is not in group docker")
