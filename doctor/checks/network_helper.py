"""`network-helper`: the program podman uses for rootless networking (pasta since Podman 5,
slirp4netns before) is installed."""

from __future__ import annotations

from rootless.doctor.common import fix, packages
from rootless.doctor.facts import containers_conf, find_helper, podman_info
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "network-helper",
    "Rootless network helper (pasta / slirp4netns)",
    why=(
        "Rootless containers get their network from a user-space helper. Without it every "
        "container with networking fails: `could not find pasta, the network namespace can't be "
        "configured` (Podman 5+) or the same for slirp4netns (Podman 4)."
    ),
    templates=("install-packages",),
)
def check_network_helper(ctx: Context) -> Outcome:
    host = ctx.host
    conf = ctx.fact(containers_conf)
    a = Assessment()
    for error in conf.errors:
        a.fail(f"cannot parse containers.conf: {error}")
    podman = ctx.fact(podman_info)
    major = podman.version[0] if podman and podman.version else None
    configured = conf.get("network", "default_rootless_network_cmd")
    default = "pasta" if major is None or major >= 5 else "slirp4netns"
    command = configured if isinstance(configured, str) and configured else default
    a.data.update(command=command, configured=configured)
    origin = (
        "configured in containers.conf"
        if configured
        else f"the default of podman {podman.version_str if podman else '5+'}"
    )
    path = find_helper(host, command, conf)
    if path is None:
        package = "passt" if command == "pasta" else command
        a.fail(
            f"{command} ({origin}) is not installed: could not find {command}, the network namespace can't be configured",
            fix(packages(package, "rootless container networking")),
        )
    else:
        a.data["path"] = path
        a.ok(f"{command} ({origin}) at {path}")
    other = "slirp4netns" if command == "pasta" else "pasta"
    other_path = find_helper(host, other, conf)
    if other_path:
        a.info(f"{other} is installed too ({other_path})")
    if command == "slirp4netns":
        a.info("note: Podman 5 switches to pasta (package passt) and Podman 6 removed slirp4netns")
    return a.outcome(f"{command} is installed ({path})")
