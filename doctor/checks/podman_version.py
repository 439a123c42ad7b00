"""`podman-version`: podman is installed; notes on what the next major versions change for
this host (Podman 5: pasta by default, cgroup v1 deprecated; Podman 6: cgroup v1 and
slirp4netns gone)."""

from __future__ import annotations

from rootless.doctor.common import fix, packages
from rootless.doctor.facts import cgroup_info, find_helper, podman_info
from rootless.doctor.model import Assessment, Outcome, Status
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "podman-version",
    "Podman",
    prefetch=(podman_info,),
    why=(
        "Rootless Podman behaviour changes between major versions: 5.0 made pasta the default "
        "network and deprecated cgroup v1; 6.0 refuses cgroup v1 and removed slirp4netns and BoltDB."
    ),
    templates=("install-packages",),
)
def check_podman_version(ctx: Context) -> Outcome:
    host = ctx.host
    info = ctx.fact(podman_info)
    if info is None:
        return Outcome(
            Status.FAIL,
            "podman is not installed (not found on PATH)",
            fix=fix(packages("podman", "the container engine")),
        )
    if info.version is None:
        return Outcome(
            Status.FAIL,
            f"`{info.path} --version` failed: {info.error or 'no version in its output'}",
            data={"path": info.path},
        )
    a = Assessment()
    major = info.version[0]
    where = info.path if info.realpath == info.path else f"{info.path} -> {info.realpath}"
    a.data.update(version=info.version_str, path=info.path, realpath=info.realpath)
    if major < 4:
        a.warn(
            f"podman {info.version_str} is old: rootless native overlay needs 3.1+, netavark and pasta need 4+/5+; upgrade"
        )
    cgroup = ctx.fact(cgroup_info)
    pasta = find_helper(host, "pasta")
    if major <= 5 and cgroup.mode in ("v1", "hybrid"):
        a.info(
            f"note: Podman 6 refuses this host (cgroup {cgroup.mode}: `Cgroups v1 not supported`); see cgroup-v2"
        )
    if major <= 4 and not pasta:
        a.info(
            "note: Podman 5 uses pasta for rootless networking by default; install passt before upgrading"
        )
    if major <= 5:
        a.info(
            "note: Podman 6 removed slirp4netns and BoltDB (`podman system migrate` converts containers)"
        )
    return a.outcome(f"podman {info.version_str} ({where})")
