"""`sudo docker ...` -> `podman ...`, unless the command really needs root (then warn)."""

from __future__ import annotations

from rootless.migrate.edits import delete_words, index_of
from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import ROOTLESS_MD, engine_call, host_port

SYSTEM_PATHS = ("/etc", "/var/lib", "/root", "/boot", "/usr", "/lib", "/sys", "/proc", "/dev")


def root_reasons(cmd: Command) -> list[str]:
    """Why this engine command needs root (empty: it does not)."""
    inv = cmd.invocation
    if inv.action not in ("run", "create"):
        return []
    why: list[str] = []
    for o in inv.opts("--publish"):
        port = host_port(o.value or "")
        if port is not None and port < 1024:
            why.append(f"publishes host port {port}")
    if inv.has("--privileged"):
        why.append("--privileged")
    for o in inv.opts("--pid", "--ipc", "--uts", "--userns", "--cgroupns"):
        if o.value == "host":
            why.append(f"{o.name}=host")
    for o in inv.opts("--network", "--net"):
        if o.value == "host" and any(
            (host_port(p.value or "") or 1024) < 1024 for p in inv.opts("--publish")
        ):
            why.append("--network=host")
    if inv.opts("--device"):
        why.append("--device")
    for o in inv.opts("--cap-add"):
        if (o.value or "").upper() in (
            "SYS_ADMIN",
            "ALL",
            "CAP_SYS_ADMIN",
            "NET_ADMIN",
            "SYS_MODULE",
        ):
            why.append(f"--cap-add {o.value}")
    for src in inv.bind_mounts:
        if (src == "/" or src.startswith(SYSTEM_PATHS)) and "docker.sock" not in src:
            why.append(f"mounts {src}")
    return why


def check(cmd: Command, ctx: RuleContext) -> Result:
    sudo = cmd.sudo
    if sudo is None or not engine_call(cmd) or cmd.prefixes[0] is not sudo:
        return
    opts = [w.value for w in sudo.words[1:]]
    if any(v is None for v in opts) or any(
        v in ("-u", "--user", "-g", "--group") or (v or "").startswith(("--user=", "-u"))
        for v in opts
    ):
        yield RULE.note(
            sudo.words[0].start,
            "sudo runs the engine as another user: that user's podman has its own images "
            "and containers",
            severity=Severity.WARNING,
            fix="run the script as that user, or keep sudo deliberately",
        )
        return
    why = root_reasons(cmd)
    if why:
        yield RULE.note(
            sudo.words[0].start,
            "kept sudo because this command needs root (" + ", ".join(why) + "); "
            "rootful podman keeps its own image and container store, separate from yours",
            severity=Severity.WARNING,
            fix="drop what needs root (a port >= 1024, no --privileged/devices), then drop sudo",
        )
        return
    last = index_of(cmd, sudo.words[-1])
    first = index_of(cmd, sudo.words[0])
    edit = delete_words(cmd, first, last)
    yield RULE.change(
        [edit],
        sudo.words[0].start,
        "rootless podman needs no sudo; `sudo podman` would use root's separate image and "
        "container store",
        severity=Severity.REVIEW,
    )


RULE = Rule(
    id="sudo-docker",
    summary="drop sudo in front of the engine (kept, with a warning, when root is really needed)",
    example="sudo docker ps  ->  podman ps",
    severity=Severity.REVIEW,
    link=ROOTLESS_MD,
    on_command=check,
    renames_engine=True,
)
