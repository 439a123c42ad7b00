"""`pause-process`: podman's pause process (which holds the user namespace all podman calls
join) was created with the ranges configured now; otherwise `podman system migrate`."""

from __future__ import annotations

from typing import Any

from rootless.doctor.common import fix, migrate
from rootless.doctor.facts import user_ids
from rootless.doctor.model import Outcome, Status, ok
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

from .userns_mapping import format_map, parse_id_map


@check(
    "pause-process",
    "Podman's pause process is current",
    requires=("not-root",),
    after=("subid-ranges",),
    why=(
        "Podman creates its user namespace once and keeps it alive in a pause process. After "
        "/etc/subuid or /etc/subgid change, every podman call still joins the old namespace - "
        "pulls fail with `potentially insufficient UIDs or GIDs` - until `podman system migrate`."
    ),
    templates=("podman-system-migrate",),
)
def check_pause_process(ctx: Context) -> Outcome:
    host = ctx.host
    # podman's own fallback without XDG_RUNTIME_DIR (not a file we create)
    runtime = host.env.get("XDG_RUNTIME_DIR") or f"/tmp/podman-run-{host.uid}"  # noqa: S108
    pidfile = f"{runtime}/libpod/tmp/pause.pid"
    text = host.read_text(pidfile)
    if text is None:
        return ok("no pause process: podman starts one with the current ranges on first use")
    if not text.strip().isdigit():
        return Outcome(
            Status.WARN,
            f"{pidfile} does not hold a pid ({text.strip()[:40]!r})",
            fix=fix(migrate()),
        )
    pid = int(text.strip())
    proc = host.process(pid)
    if proc is None:
        return ok(
            f"{pidfile} names pid {pid}, which is gone: podman starts a new pause process", pid=pid
        )
    ids = ctx.fact(user_ids)
    live_uid = parse_id_map(host.read_text(f"/proc/{pid}/uid_map") or "")
    live_gid = parse_id_map(host.read_text(f"/proc/{pid}/gid_map") or "")
    want_uid, want_gid = ids.uid_mappings(), ids.gid_mappings()
    data: dict[str, Any] = {
        "pid": pid,
        "uid_map": [[m.container_id, m.host_id, m.size] for m in live_uid],
    }
    if live_uid != want_uid or live_gid != want_gid:
        return Outcome(
            Status.FAIL,
            f"the pause process (pid {pid}) maps {format_map(live_uid)}, but the configured ranges give {format_map(want_uid)}",
            details=(f"gid_map: {format_map(live_gid)} (configured: {format_map(want_gid)})",),
            fix=fix(migrate()),
            data=data,
        )
    changed = []
    for path in ("/etc/subuid", "/etc/subgid"):
        st = host.stat(path)
        if st is not None and st.mtime > proc.start_time:
            changed.append(path)
    if changed:
        return Outcome(
            Status.WARN,
            f"{' and '.join(changed)} changed after the pause process (pid {pid}) started; its maps still match, "
            "but `podman system migrate` makes sure",
            fix=fix(migrate()),
            data=data,
        )
    return ok(f"the pause process (pid {pid}) maps {format_map(live_uid)}, as configured", **data)
