"""`user-env`: $USER and $HOME name the real user (podman picks sub-ids by $USER)."""

from __future__ import annotations

import posixpath

from rootless.doctor.common import fix, note
from rootless.doctor.facts import subid_state
from rootless.doctor.model import Assessment, Outcome, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

_RELOGIN = (
    "log in as the user properly (ssh USER@localhost, machinectl shell USER@, or `su - USER`); "
    "a plain `su USER` keeps the old $USER and $HOME"
)


@check(
    "user-env",
    "$USER and $HOME match the user",
    requires=("not-root",),
    templates=("note",),
    why=(
        "Podman looks up /etc/subuid by $USER before the real user name, and keeps its storage "
        "under $HOME. After a plain `su`, both still point at the previous user."
    ),
)
def check_user_env(ctx: Context) -> Outcome:
    host = ctx.host
    if host.impersonated:
        return skip("skipped: the environment of another user's session is not visible from here")
    a = Assessment()
    env_user = host.env.get("USER")
    if not env_user:
        a.ok(f"$USER is not set; podman falls back to the real user {host.user}")
    elif env_user != host.user:
        state = ctx.fact(subid_state)
        has_line = bool(state.subuid.parsed.for_user(env_user, -1))
        consequence = (
            f"podman maps {env_user}'s sub-ids for {host.user}"
            if has_line
            else f"podman finds no sub-id range for {env_user!r} and falls back to a single id mapping"
        )
        a.warn(
            f"$USER is {env_user!r} but the real user is {host.user!r} (uid {host.uid}): {consequence}",
            fix(note(_RELOGIN, part="user", effect="re-login")),
        )
    else:
        a.ok(f"$USER is {env_user}")
    env_home = host.env.get("HOME")
    if env_home and posixpath.normpath(env_home) != posixpath.normpath(host.home):
        a.warn(
            f"$HOME is {env_home} but {host.user}'s home is {host.home}: podman keeps storage and configuration in the wrong place",
            fix(note(_RELOGIN, part="user", effect="re-login")),
        )
    a.data.update(user=host.user, env_user=env_user, env_home=env_home, home=host.home)
    return a.outcome(f"$USER ({env_user or 'unset'}) and $HOME match {host.user}")
