"""`subid-ranges`: /etc/subuid and /etc/subgid give the user a valid, private range of at
least 65536 ids that podman can map, with a computed free range as the fix."""

from __future__ import annotations

from collections.abc import Sequence

from rootless.doctor.common import fix, migrate, step
from rootless.doctor.facts import SubIdSource, SubIdState, subid_state
from rootless.doctor.host import Host
from rootless.doctor.model import Assessment, Fix, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context
from rootless.engine.idmap import WANTED_IDS, SubIdEntry, suggest_free_range


def _span(e: SubIdEntry) -> str:
    return f"{e.start}-{e.end - 1}"


def free_start(host: Host, state: SubIdState, user: str, uid: int) -> int:
    """A start for a new 65536-id range that collides with no other user's range (in either
    file) and no existing account's uid or gid."""
    taken: list[tuple[int, int]] = []
    for source in (state.subuid, state.subgid):
        taken += [
            (e.start, e.count) for e in source.parsed.entries if e.owner not in (user, str(uid))
        ]
    for account in host.accounts():
        taken += [(account.uid, 1), (account.gid, 1)]
    for group in host.group_entries():
        taken.append((group.gid, 1))
    taken.append((65534, 1))  # nobody/nogroup, even when the snapshot has no passwd line
    return suggest_free_range(taken, count=WANTED_IDS)


def _subids_fix(host: Host, state: SubIdState, replace: bool) -> Fix:
    start = free_start(host, state, host.user, host.uid)
    action = "replace" if replace else "add"
    return fix(
        step(
            "subids",
            f"{action} {host.user}'s sub-id range: {start}-{start + WANTED_IDS - 1} in /etc/subuid and /etc/subgid "
            "(computed: overlaps no other range or account)",
            part="root",
            effect="now",
            user=host.user,
            uid=host.uid,
            start=start,
            count=WANTED_IDS,
        ),
        migrate(),
    )


def _assess_file(
    a: Assessment, host: Host, state: SubIdState, source: SubIdSource, *, own_id: int, kind: str
) -> Sequence[SubIdEntry]:
    user = host.user
    if source.error:
        a.fail(f"{source.path} {source.error}")
        return ()
    if not source.exists:
        a.fail(
            f"{source.path} does not exist: podman falls back to a single-id mapping",
            _subids_fix(host, state, False),
        )
        return ()
    for lineno in source.fatal_lines:
        problem = next(p for p in source.parsed.problems if p.lineno == lineno)
        a.fail(
            f"{source.path}:{lineno}: {problem.reason} ({problem.text.strip()!r}): podman rejects the whole file "
            f"(cannot parse subuid/gid information: Format not correct for {source.path} file)",
            fix(
                step(
                    "subid-clean",
                    f"comment out the malformed lines of {source.path}",
                    part="root",
                    effect="now",
                    file=source.path,
                ),
                migrate(),
            ),
        )
    for problem in source.parsed.problems:
        if problem.lineno in source.fatal_lines:
            continue
        owner = problem.text.split(":", 1)[0].strip()
        if owner in (user, str(host.uid)):
            a.fail(
                f"{source.path}:{problem.lineno}: your line is malformed: {problem.reason} ({problem.text.strip()!r})",
                _subids_fix(host, state, True),
            )
        else:
            a.warn(f"{source.path}:{problem.lineno}: {problem.reason} ({problem.text.strip()!r})")
    mine = source.parsed.for_user(user, host.uid)
    total = sum(e.count for e in mine)
    if not mine:
        a.fail(
            f"{source.path} has no range for {user} (uid {host.uid}): podman uses a single-id mapping and pulls fail "
            "(potentially insufficient UIDs or GIDs available in user namespace)",
            _subids_fix(host, state, False),
        )
        return mine
    if total < WANTED_IDS:
        a.fail(
            f"{user} has only {total} sub{kind}s in {source.path}; images need {WANTED_IDS} "
            "(ids up to 65534 'nobody')",
            _subids_fix(host, state, True),
        )
    for e in mine:
        if e.contains(own_id):
            a.fail(
                f"{source.path}:{e.lineno}: range {_span(e)} contains {user}'s own {kind} {own_id} "
                f'(podman: the specified mapping {e.start}:{e.count} in "{source.path}" includes the user UID)',
                _subids_fix(host, state, True),
            )
    for i, e in enumerate(mine):
        for other in mine[i + 1 :]:
            if e.overlaps(other.start, other.count):
                a.fail(
                    f"{source.path}: {user}'s ranges at lines {e.lineno} and {other.lineno} overlap "
                    "(the kernel rejects overlapping maps with EINVAL)",
                    _subids_fix(host, state, True),
                )
    for e in mine:
        for other in source.parsed.entries:
            if other.owner in (user, str(host.uid)) or not e.overlaps(other.start, other.count):
                continue
            a.warn(
                f"{source.path}:{e.lineno}: range {_span(e)} overlaps {other.owner}'s range {_span(other)} "
                f"(line {other.lineno}): both users can reach each other's container files",
                _subids_fix(host, state, True),
            )
    ids = sorted({(acc.name, acc.uid if kind == "uid" else acc.gid) for acc in host.accounts()})
    for name, ident in ids:
        if name == user or ident == own_id:
            continue
        for e in mine:
            if e.contains(ident):
                a.warn(
                    f"{source.path}:{e.lineno}: range {_span(e)} contains the {kind} {ident} of account {name}"
                )
                break
    a.ok(f"{source.path}: {user} has {total} ids ({', '.join(_span(e) for e in mine)})")
    return mine


@check(
    "subid-ranges",
    "Sub-id ranges (/etc/subuid, /etc/subgid)",
    requires=("not-root",),
    why=(
        "Podman maps container uids 1..65536 onto the user's /etc/subuid and /etc/subgid ranges. "
        "No range means a single-id mapping (most image pulls fail with `potentially insufficient "
        "UIDs or GIDs`), a range holding the user's own uid is refused, overlapping ranges let "
        "users reach each other's files, and a malformed line makes podman reject the file."
    ),
    templates=("subids", "subid-clean", "podman-system-migrate"),
    links=("https://rootlesscontaine.rs/getting-started/common/subuid/",),
)
def check_subid_ranges(ctx: Context) -> Outcome:
    host = ctx.host
    state = ctx.fact(subid_state)
    a = Assessment()
    if state.nss_source and "files" not in state.nss_source.split():
        a.info(
            f"/etc/nsswitch.conf takes sub-ids from `{state.nss_source}`; only the files are checked here"
        )
    uids = _assess_file(a, host, state, state.subuid, own_id=host.uid, kind="uid")
    gids = _assess_file(a, host, state, state.subgid, own_id=host.gid, kind="gid")
    a.data.update(
        user=host.user,
        subuid=[[e.start, e.count] for e in uids],
        subgid=[[e.start, e.count] for e in gids],
    )
    total = sum(e.count for e in uids)
    return a.outcome(f"{host.user} has {total} private sub-ids in /etc/subuid and /etc/subgid")
