"""`not-root`: the doctor checks an unprivileged user (root may check one with --user)."""

from __future__ import annotations

from rootless.doctor.common import fix, note
from rootless.doctor.model import Outcome, Status, ok
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


@check(
    "not-root",
    "Unprivileged user",
    templates=("note",),
    why=(
        "Rootless Podman runs as the user who owns the containers. As root, podman is rootful: "
        "the user's sub-ids, session and storage are never used, so checking root proves nothing."
    ),
)
def check_not_root(ctx: Context) -> Outcome:
    host = ctx.host
    if host.uid == 0:
        return Outcome(
            Status.FAIL,
            "running as root: rootless Podman has to be checked as the user who runs containers",
            details=(
                "log in as that user (ssh USER@localhost, or machinectl shell USER@) and run `rootless doctor`",
                "or, as root, `rootless doctor --user NAME` runs the checks that only read the host",
            ),
            fix=fix(
                note(
                    "re-run the doctor as the container user: `ssh USER@localhost rootless doctor`, "
                    "or `rootless doctor --user USER` as root",
                )
            ),
        )
    if host.impersonated:
        return ok(
            f"checking {host.user} (uid {host.uid}) from root: their session and probes are not visible",
            user=host.user,
            uid=host.uid,
        )
    return ok(f"running as {host.user} (uid {host.uid})", user=host.user, uid=host.uid)
