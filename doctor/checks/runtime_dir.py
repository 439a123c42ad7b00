"""`runtime-dir`: XDG_RUNTIME_DIR is set, owned by the user, private, and on tmpfs."""

from __future__ import annotations

import os

from rootless.doctor.common import fix, note, step
from rootless.doctor.facts import distro_info, filesystem_of, mount_table, systemd_booted
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

_LOGIN_HINT = (
    "log in through a real session (ssh USER@localhost or machinectl shell USER@): "
    "`su -` and `sudo -i` do not create /run/user/UID"
)


@check(
    "runtime-dir",
    "XDG_RUNTIME_DIR",
    requires=("not-root",),
    why=(
        "Podman keeps its pause process, locks and sockets in $XDG_RUNTIME_DIR. Without it (after "
        "`su -`) podman fails with `creating tmpdir: mkdir /run/user/UID: permission denied` or uses a "
        "directory another user owns."
    ),
    templates=("runtime-dir-openrc", "profile-line", "note"),
)
def check_runtime_dir(ctx: Context) -> Outcome:
    host = ctx.host
    a = Assessment()
    systemd = ctx.fact(systemd_booted)
    xdg = host.env.get("XDG_RUNTIME_DIR")
    openrc_fix = fix(
        step(
            "runtime-dir-openrc",
            f"create /run/user/{host.uid} for {host.user} now and at every boot",
            part="root",
            effect="now",
            uid=host.uid,
            gid=host.gid,
        ),
        step(
            "profile-line",
            f"export XDG_RUNTIME_DIR=/run/user/{host.uid} from {host.user}'s ~/.profile",
            part="user",
            effect="re-login",
            file=f"{host.home}/.profile",
            line=f"export XDG_RUNTIME_DIR=/run/user/{host.uid}",
        ),
    )
    no_systemd_fix = (
        openrc_fix
        if ctx.fact(distro_info).family == "alpine"
        else fix(
            note(
                f"create /run/user/{host.uid} (mode 0700, owned by {host.user}) at boot and export XDG_RUNTIME_DIR=/run/user/{host.uid}",
                effect="re-login",
            )
        )
    )
    if not xdg:
        if host.impersonated:
            a.warn(
                f"/run/user/{host.uid} does not exist: {host.user} has no login session right now"
            )
        elif systemd:
            a.fail(
                "XDG_RUNTIME_DIR is not set (typical after `su -` or `sudo -i`)",
                fix(note(_LOGIN_HINT, part="user", effect="re-login")),
            )
        else:
            a.warn(
                f"XDG_RUNTIME_DIR is not set and this host has no systemd: podman falls back to /tmp/podman-run-{host.uid}",
                no_systemd_fix,
            )
        return a.outcome("")
    st = host.stat(xdg)
    if st is None:
        a.fail(
            f"XDG_RUNTIME_DIR={xdg} does not exist",
            fix(note(_LOGIN_HINT, part="user", effect="re-login")) if systemd else no_systemd_fix,
        )
    elif not st.is_dir:
        a.fail(f"XDG_RUNTIME_DIR={xdg} is not a directory")
    else:
        if st.uid != host.uid:
            a.fail(
                f'{xdg} belongs to uid {st.uid}, not {host.user}: podman refuses it (XDG_RUNTIME_DIR directory "{xdg}" is not owned by the current user)',
                fix(note(_LOGIN_HINT, part="user", effect="re-login")),
            )
        elif not host.access(xdg, os.W_OK | os.X_OK):
            a.fail(f"{xdg} is not writable by {host.user}")
        if st.perms != 0o700:
            a.warn(f"{xdg} has mode {st.perms:04o}; it should be 0700 (private to {host.user})")
        _, mount = filesystem_of(host, xdg, ctx.fact(mount_table))
        if mount is not None and mount.fstype != "tmpfs":
            a.warn(
                f"{xdg} is on {mount.fstype} ({mount.mountpoint}), not tmpfs: podman's state survives a reboot "
                "(current system boot ID differs from cached boot ID)",
                fix(note(_LOGIN_HINT, part="user", effect="re-login"))
                if systemd
                else no_systemd_fix,
            )
        if mount is not None:
            a.data["filesystem"] = mount.fstype
    a.data["path"] = xdg
    return a.outcome(f"{xdg} is a private tmpfs directory owned by {host.user}")
