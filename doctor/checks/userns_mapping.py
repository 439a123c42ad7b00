"""`userns-mapping` (probe): a user namespace really gets the user's full sub-id ranges through
newuidmap/newgidmap - the same argv podman uses - and uid_map reads back as configured."""

from __future__ import annotations

from rootless.doctor.common import fix, note
from rootless.doctor.facts import namespace_probe, user_ids
from rootless.doctor.model import Outcome, Status, ok, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context
from rootless.engine.idmap import IdMapping


def parse_id_map(text: str) -> tuple[IdMapping, ...]:
    """/proc/PID/uid_map text -> mappings (malformed lines are skipped)."""
    out: list[IdMapping] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            out.append(IdMapping(int(parts[0]), int(parts[1]), int(parts[2])))
    return tuple(out)


def format_map(mappings: tuple[IdMapping, ...]) -> str:
    return ", ".join(m.line() for m in mappings) or "(empty)"


@check(
    "userns-mapping",
    "User namespace with the full sub-id range (probe)",
    requires=("not-root", "user-namespaces"),
    after=("subid-ranges", "uidmap-helpers"),
    probe=True,
    timeout=20.0,
    prefetch=(namespace_probe,),
    why=(
        "This is what podman does first: create a user namespace and map the sub-id ranges with "
        "newuidmap/newgidmap. Doing it for real catches what reading files cannot: an AppArmor or "
        "seccomp denial, a helper that lost its privileges, a range the helper refuses."
    ),
    templates=("note",),
)
def check_userns_mapping(ctx: Context) -> Outcome:
    host = ctx.host
    blocker = host.probe_blocker()
    if blocker:
        return skip(f"skipped: {blocker}")
    ids = ctx.fact(user_ids)
    if not ids.has_ranges:
        return skip("skipped: no sub-id range to map (see subid-ranges)")
    if not host.which("newuidmap") or not host.which("newgidmap"):
        return skip(
            "skipped: newuidmap/newgidmap are not installed or not on $PATH (see uidmap-helpers)"
        )
    res = ctx.fact(namespace_probe).probe.userns
    expected_uid, expected_gid = ids.uid_mappings(), ids.gid_mappings()
    if not res.ok:
        explained = res.check_id or "uidmap-helpers"
        first = res.error.strip().splitlines()[0] if res.error.strip() else "no output"
        return Outcome(
            Status.FAIL,
            f"mapping a user namespace with your ranges failed: {first}",
            details=(
                *(f"| {line}" for line in res.error.strip().splitlines()),
                f"wanted uid_map: {format_map(expected_uid)}",
                f"wanted gid_map: {format_map(expected_gid)}",
                f"explained by: rootless doctor {explained}",
            ),
            fix=fix(
                note(f"fix what `rootless doctor {explained}` reports, then run the doctor again")
            ),
            data={"error": res.error, "check_id": explained},
        )
    uid_text, _, gid_text = res.output.partition("--")
    got_uid, got_gid = parse_id_map(uid_text), parse_id_map(gid_text)
    data = {
        "uid_map": [[m.container_id, m.host_id, m.size] for m in got_uid],
        "gid_map": [[m.container_id, m.host_id, m.size] for m in got_gid],
    }
    if got_uid != expected_uid or got_gid != expected_gid:
        return Outcome(
            Status.FAIL,
            f"the namespace got uid_map {format_map(got_uid)} instead of {format_map(expected_uid)}",
            details=(
                f"gid_map read back: {format_map(got_gid)}",
                f"wanted gid_map: {format_map(expected_gid)}",
                *res.notes,
            ),
            data=data,
        )
    total = sum(m.size for m in got_uid)
    return ok(
        f"uid_map reads back {format_map(got_uid)} ({total} ids, as configured)",
        details=[f"gid_map reads back {format_map(got_gid)}", *res.notes],
        **data,
    )
