"""`oci-runtime`: the OCI runtime podman will use (crun or runc) is installed and works with
this host's cgroup layout (crun refuses hybrid hosts whose cgroup v2 tree has controllers)."""

from __future__ import annotations

from rootless.doctor.common import fix, packages, step
from rootless.doctor.facts import cgroup_info, config_home, containers_conf
from rootless.doctor.host import Host
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

DEFAULT_PATHS = {
    "crun": [
        "/usr/bin/crun",
        "/usr/sbin/crun",
        "/usr/local/bin/crun",
        "/usr/local/sbin/crun",
        "/sbin/crun",
        "/bin/crun",
    ],
    "runc": [
        "/usr/bin/runc",
        "/usr/sbin/runc",
        "/usr/local/bin/runc",
        "/usr/local/sbin/runc",
        "/sbin/runc",
        "/bin/runc",
        "/usr/lib/cri-o-runc/sbin/runc",
    ],
}


def runtime_path(host: Host, name: str, configured: object) -> str | None:
    paths = (
        [str(p) for p in configured]
        if isinstance(configured, list)
        else DEFAULT_PATHS.get(name, [])
    )
    found = next((p for p in paths if host.exists(p)), None)
    return found or host.which(name)


@check(
    "oci-runtime",
    "OCI runtime (crun / runc)",
    why=(
        "Podman starts containers through crun or runc. crun refuses hybrid cgroup hosts whose "
        "cgroup v2 hierarchy has controllers (`cgroups in hybrid mode not supported, drop all "
        "controllers from cgroupv2`); without any runtime nothing starts."
    ),
    templates=("install-packages", "use-runc"),
)
def check_oci_runtime(ctx: Context) -> Outcome:
    host = ctx.host
    conf = ctx.fact(containers_conf)
    a = Assessment()
    configured = conf.get("engine", "runtime")
    runtimes = conf.get("engine", "runtimes", default={}) or {}
    found = {name: runtime_path(host, name, runtimes.get(name)) for name in ("crun", "runc")}
    if isinstance(configured, str) and configured:
        name = configured
        path = found.get(name) or runtime_path(host, name, runtimes.get(name))
        origin = "configured in containers.conf"
    else:
        name = "crun" if found["crun"] or not found["runc"] else "runc"
        path = found[name]
        origin = "podman's choice"
    a.data.update(runtime=name, path=path, available={k: v for k, v in found.items() if v})
    if path is None:
        a.fail(
            f"the OCI runtime {name} ({origin}) is not installed",
            fix(packages(name, "the OCI runtime")),
        )
        return a.outcome("")
    cgroup = ctx.fact(cgroup_info)
    hybrid_blocked = cgroup.mode == "hybrid" and bool(cgroup.v2_controllers)
    controllers = " ".join(cgroup.v2_controllers)
    if name == "crun" and hybrid_blocked:
        use_runc = step(
            "use-runc",
            "make podman use runc (a containers.conf drop-in)",
            part="user",
            effect="now",
            config=f"{config_home(host)}/containers/containers.conf.d/99-rootless-runtime.conf",
        )
        remedy = (
            fix(use_runc)
            if found["runc"]
            else fix(packages("runc", "an OCI runtime for hybrid cgroup hosts"), use_runc)
        )
        a.fail(
            f"crun ({path}) refuses this hybrid cgroup host: the cgroup v2 hierarchy has controllers ({controllers}): "
            "cgroups in hybrid mode not supported, drop all controllers from cgroupv2",
            remedy,
        )
    else:
        a.ok(f"{name} at {path} ({origin})")
        if hybrid_blocked and name == "runc":
            a.info(
                f"crun would refuse this host: the hybrid cgroup v2 hierarchy has controllers ({controllers})"
            )
    return a.outcome(f"{name} at {path} ({origin})")
