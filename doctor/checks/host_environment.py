"""`host-environment`: rootless Podman runs on a real host, not nested in a container."""

from __future__ import annotations

from rootless.doctor.facts import mount_table
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

#: root file systems that container engines use for a container's /
_CONTAINER_ROOTFS = frozenset(
    {"overlay", "aufs", "fuse-overlayfs", "fuse.fuse-overlayfs", "zfs", "btrfs", "shiftfs"}
)


@check(
    "host-environment",
    "Not inside a container",
    why=(
        "Rootless Podman inside another container needs a privileged outer container, /dev/fuse "
        "and a sub-id range mapped into it; otherwise newuidmap fails with "
        "`open of uid_map failed: Permission denied` or clone fails with EPERM."
    ),
)
def check_host_environment(ctx: Context) -> Outcome:
    host = ctx.host
    a = Assessment()
    strong: list[str] = []
    if host.exists("/run/.containerenv"):
        strong.append("/run/.containerenv (podman)")
    container_env = "" if host.impersonated else host.env.get("container", "")
    if container_env:
        strong.append(f"$container={container_env}")
    roots = [m for m in ctx.fact(mount_table) if m.mountpoint == "/"]
    root = roots[-1] if roots else None
    dockerenv = host.exists("/.dockerenv")
    if dockerenv:
        if root is not None and root.fstype in _CONTAINER_ROOTFS:
            strong.append(f"/.dockerenv with a {root.fstype} root file system (docker)")
        else:
            where = f"{root.fstype} on {root.source}" if root else "unknown"
            a.info(
                f"/.dockerenv exists, but / is {where}: a leftover of how this system image was built, not a container"
            )
    if strong:
        a.warn(
            f"running inside a container ({', '.join(strong)}): nested rootless Podman needs a privileged outer "
            "container, /dev/fuse and a mapped sub-id range"
        )
    version = (host.read_text("/proc/version") or "").lower()
    if "microsoft" in version or host.exists("/proc/sys/fs/binfmt_misc/WSLInterop"):
        a.ok("running under WSL 2 (enable systemd in /etc/wsl.conf for user sessions)")
        a.data["wsl"] = True
    a.data["container_signs"] = strong
    return a.outcome("not inside a container or WSL")
