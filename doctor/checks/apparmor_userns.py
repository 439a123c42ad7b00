"""`apparmor-userns`: Ubuntu's AppArmor user-namespace restriction lets podman (at its *real*
path) and the helpers that create namespaces do so."""

from __future__ import annotations

import posixpath
import re
from typing import NamedTuple

from rootless.doctor.common import fix, note, step
from rootless.doctor.facts import find_helper, podman_info, sysctl_config, sysctl_live
from rootless.doctor.host import Host, HostFileError
from rootless.doctor.model import Assessment, Outcome, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

KNOB = "kernel.apparmor_restrict_unprivileged_userns"
_SAFE_PATH = r"^/[A-Za-z0-9._+/-]+$"
# patterns compile on first use (re caches them): only hosts with the restriction parse profiles
_HEADER = (
    r"""^\s*(?:profile\s+(?P<name>[^\s{]+)(?:\s+(?P<attach>"[^"]+"|[/@]\S*))?|(?P<bare>"/[^"]+"|/\S*))"""
    r"""\s*(?:flags\s*=\s*\((?P<flags>[^)]*)\))?\s*\{\s*$"""
)


class Profile(NamedTuple):
    path: str
    name: str
    attachment: str
    userns: bool
    unconfined: bool


def _strip_comment(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("#include"):
        return line
    return line.split("#", 1)[0]


def parse_apparmor_profiles(text: str, path: str = "") -> list[Profile]:
    """Top-level profiles of an AppArmor policy file: name, attachment, `userns,` rule."""
    profiles: list[Profile] = []
    lines = [_strip_comment(ln) for ln in text.splitlines()]
    i = 0
    while i < len(lines):
        m = re.match(_HEADER, lines[i])
        if not m:
            i += 1
            continue
        attach = (m.group("attach") or m.group("bare") or "").strip('"')
        name = m.group("name") or attach
        flags = m.group("flags") or ""
        depth = lines[i].count("{") - lines[i].count("}")
        body: list[str] = []
        i += 1
        while i < len(lines) and depth > 0:
            depth += lines[i].count("{") - lines[i].count("}")
            body.append(lines[i])
            i += 1
        userns = any(re.match(r"^\s*(?:allow\s+)?userns(?:\s+create)?\s*,", ln) for ln in body)
        if attach.startswith(("/", "@")):
            profiles.append(Profile(path, name, attach, userns, "unconfined" in flags))
    return profiles


def aa_glob_to_regex(pattern: str) -> str:
    """AppArmor globbing (``*``, ``**``, ``?``, ``{a,b}``, ``[...]``) as a Python regex."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "{":
            out.append("(?:")
            depth += 1
        elif c == "}" and depth:
            out.append(")")
            depth -= 1
        elif c == "," and depth:
            out.append("|")
        elif c == "[":
            end = pattern.find("]", i)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                body = "^" + re.escape(body[1:]) if body.startswith("^") else re.escape(body)
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def attachment_matches(attachment: str, path: str) -> bool:
    if "@{" in attachment:
        return False  # variables are not expanded; such a profile is not trusted to cover the path
    return re.fullmatch(aa_glob_to_regex(attachment), path) is not None


def load_profiles(host: Host) -> tuple[list[Profile], list[str]]:
    disabled = set(host.listdir("/etc/apparmor.d/disable"))
    profiles: list[Profile] = []
    errors: list[str] = []
    for name in host.listdir("/etc/apparmor.d"):
        path = posixpath.join("/etc/apparmor.d", name)
        st = host.stat(path)
        if st is None or not st.is_file or name in disabled or name.startswith("."):
            continue
        try:
            text = host.read_text(path) or ""
        except HostFileError as exc:
            errors.append(str(exc))
            continue
        profiles += parse_apparmor_profiles(text, path)
    return profiles, errors


def profile_name_for(path: str) -> str:
    return "rootless-" + path.strip("/").replace("/", ".")


@check(
    "apparmor-userns",
    "AppArmor allows podman's user namespaces",
    why=(
        "Ubuntu 23.10+ (kernel.apparmor_restrict_unprivileged_userns=1) lets only programs with an "
        "AppArmor profile granting `userns,` create user namespaces. Ubuntu's profile covers "
        "/usr/bin/podman only: a podman under /usr/local/bin or /opt fails with "
        "`cannot clone: Permission denied`."
    ),
    templates=("apparmor-profile", "note"),
    links=("https://rootlesscontaine.rs/getting-started/common/apparmor/",),
)
def check_apparmor_userns(ctx: Context) -> Outcome:
    host = ctx.host
    live = sysctl_live(host, KNOB)
    if live is None:
        return skip(f"not applicable: this kernel has no {KNOB}")
    a = Assessment()
    a.data["restrict"] = live
    configured = ctx.fact(sysctl_config).effective(KNOB)
    if live == "0":
        if configured is not None and configured.value != "0":
            a.warn(
                f"{KNOB} is 0 now, but {configured.path}:{configured.lineno} sets {configured.value}: the restriction returns at the next boot"
            )
        else:
            a.ok(f"{KNOB} = 0: user namespaces are not restricted")
        return a.outcome(f"{KNOB} = 0: AppArmor does not restrict user namespaces")
    profiles, errors = load_profiles(host)
    for err in errors:
        a.info(f"could not read a profile: {err}")
    covering = [p for p in profiles if p.userns]
    a.info(
        f"{KNOB} = {live}: only programs whose AppArmor profile grants `userns,` may create user namespaces"
    )
    targets: list[tuple[str, str, bool]] = []  # (what, real path, required)
    podman = ctx.fact(podman_info)
    if podman is not None:
        targets.append(("podman", podman.realpath, True))
    rootlesskit = find_helper(host, "rootlesskit")
    if rootlesskit:
        targets.append(("rootlesskit (Docker rootless)", host.realpath(rootlesskit), False))
    for what, real, required in targets:
        allowed = [p for p in covering if attachment_matches(p.attachment, real)]
        if allowed:
            a.ok(f"{what} at {real} is allowed by profile {allowed[0].name} ({allowed[0].path})")
            continue
        message = (
            f"AppArmor blocks user namespaces for {what} at {real}: no profile with `userns,` attaches to that path "
            "(podman fails with: cannot clone: Permission denied)"
        )
        if re.match(_SAFE_PATH, real):
            name = profile_name_for(real)
            remedy = fix(
                step(
                    "apparmor-profile",
                    f"allow user namespaces for {real} with a narrow AppArmor profile ({name})",
                    part="root",
                    effect="now",
                    path=real,
                    name=name,
                )
            )
        else:
            remedy = fix(
                note(
                    f"write an AppArmor profile granting `userns,` to {real} (its path needs quoting)"
                )
            )
        if required:
            a.fail(message, remedy)
        else:
            a.warn(message, remedy)
    if podman is None:
        a.info("podman is not installed; nothing to check against the profiles yet")
    return a.outcome(
        "every program that creates user namespaces has an AppArmor profile allowing it"
    )
