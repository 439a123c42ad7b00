"""`short-name-resolution`: Docker-style short image names (`nginx`) resolve, as they do for
docker: registries.conf (parsed with tomllib) has unqualified-search registries."""

from __future__ import annotations

import posixpath
import tomllib
from typing import Any

from rootless.doctor.common import fix, step
from rootless.doctor.facts import config_home
from rootless.doctor.host import Host, HostFileError
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context


class Registries:
    """registries.conf as merged so far (files apply on top of each other)."""

    def __init__(self) -> None:
        self.search: list[str] = []
        self.mode = "enforcing"
        self.aliases: dict[str, str] = {}
        self.sources: list[str] = []
        self.errors: list[str] = []


def registries_files(host: Host) -> list[str]:
    """registries.conf then drop-ins, in the order containers/image loads them."""
    override = host.env.get("CONTAINERS_REGISTRIES_CONF")
    user_dir = posixpath.join(config_home(host), "containers")
    if override:
        main = override
    else:
        user_main = posixpath.join(user_dir, "registries.conf")
        main = user_main if host.exists(user_main) else "/etc/containers/registries.conf"
    files = [main]
    for directory in (
        "/etc/containers/registries.conf.d",
        posixpath.join(user_dir, "registries.conf.d"),
    ):
        files += [
            posixpath.join(directory, n) for n in host.listdir(directory) if n.endswith(".conf")
        ]
    return files


def apply_registries(reg: Registries, data: dict[str, Any]) -> None:
    """Merge one parsed file (v2 format, or the old v1 [registries.search] table)."""
    if "unqualified-search-registries" in data:
        reg.search = [str(r) for r in data["unqualified-search-registries"]]
    v1 = data.get("registries", {})
    if isinstance(v1, dict) and isinstance(v1.get("search"), dict):
        reg.search = [str(r) for r in v1["search"].get("registries", [])]
    if "short-name-mode" in data:
        reg.mode = str(data["short-name-mode"])
    aliases = data.get("aliases")
    if isinstance(aliases, dict):
        reg.aliases.update({str(k): str(v) for k, v in aliases.items()})


def load_registries(host: Host) -> Registries:
    reg = Registries()
    for path in registries_files(host):
        try:
            text = host.read_text(path)
        except HostFileError as exc:
            reg.errors.append(str(exc))
            continue
        if text is None:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            reg.errors.append(f"{path}: {exc}")
            continue
        reg.sources.append(path)
        apply_registries(reg, data)
    return reg


DROPIN = "/etc/containers/registries.conf.d/99-rootless-docker-hub.conf"


@check(
    "short-name-resolution",
    "Short image names (nginx -> docker.io/library/nginx)",
    why=(
        "Docker resolves `nginx` on Docker Hub. Podman needs unqualified-search registries (or an "
        "alias) in registries.conf; Debian and Ubuntu ship none, so `podman pull nginx` fails with "
        '`short-name "nginx" did not resolve to an alias and no unqualified-search registries are defined`.'
    ),
    templates=("registries-search",),
)
def check_short_name_resolution(ctx: Context) -> Outcome:
    reg = load_registries(ctx.host)
    a = Assessment()
    for error in reg.errors:
        a.fail(f"podman cannot read its registries configuration: {error}")
    a.data.update(search=reg.search, mode=reg.mode, aliases=len(reg.aliases), sources=reg.sources)
    remedy = fix(
        step(
            "registries-search",
            f"resolve short names on docker.io, as docker does ({DROPIN})",
            part="root",
            effect="now",
        )
    )
    if not reg.search:
        which = (
            f"only the {len(reg.aliases)} names with an alias resolve"
            if reg.aliases
            else "no name has an alias"
        )
        a.warn(
            f"no unqualified-search registries: {which}; other short names fail "
            '(short-name "X" did not resolve to an alias and no unqualified-search registries are defined)',
            remedy,
        )
    elif len(reg.search) > 1 and reg.mode == "enforcing":
        a.warn(
            f"{len(reg.search)} search registries with short-name-mode enforcing: short names fail without a TTY "
            "(scripts, compose, systemd): short-name resolution enforced but cannot prompt without a TTY"
        )
    else:
        a.ok(f"short names are searched on {', '.join(reg.search)} (short-name-mode {reg.mode})")
    if reg.sources:
        a.info(f"read: {', '.join(reg.sources)}")
    return a.outcome(f"short names resolve on {', '.join(reg.search)}")
