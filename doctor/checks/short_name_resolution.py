"""`short-name-resolution`: Docker-style short image names (`nginx`) resolve, as they do for
docker: registries.conf (parsed with tomllib) has unqualified-search registries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rootless.doctor.common import fix, step
from rootless.doctor.facts import config_home
from rootless.doctor.host import Host, HostFileError
from rootless.doctor.model import Assessment, Outcome
from rootless.doctor.registry import check
from rootless.doctor.runner import Context
from rootless.errors import RootlessError

if TYPE_CHECKING:
    from rootless.engine.ref import RegistriesConf


def load_registries(host: Host) -> tuple[RegistriesConf, list[str]]:
    """registries.conf as podman merges it (the engine's own reader), read through ``host``.

    Unreadable or invalid files become error texts instead of exceptions.
    """
    from rootless.engine.ref import RegistriesConf, config_files, parse_toml  # noqa: PLC0415

    conf = RegistriesConf()
    errors: list[str] = []
    files = config_files(
        host.env, config_home=config_home(host), exists=host.exists, listdir=host.listdir
    )
    for path in files:
        try:
            text = host.read_text(str(path))
            if text is not None:
                conf.merge(parse_toml(text.encode(), path), path)
        except HostFileError as exc:
            errors.append(str(exc))
        except RootlessError as exc:  # TOML syntax, or a value podman rejects too
            cause = exc.__cause__
            errors.append(f"{path}: {cause}" if cause else exc.message)
    return conf, errors


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
    reg, errors = load_registries(ctx.host)
    sources = [str(p) for p in reg.files]
    a = Assessment()
    for error in errors:
        a.fail(f"podman cannot read its registries configuration: {error}")
    a.data.update(
        search=reg.search, mode=reg.short_name_mode, aliases=len(reg.aliases), sources=sources
    )
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
    elif len(reg.search) > 1 and reg.short_name_mode == "enforcing":
        a.warn(
            f"{len(reg.search)} search registries with short-name-mode enforcing: short names fail without a TTY "
            "(scripts, compose, systemd): short-name resolution enforced but cannot prompt without a TTY"
        )
    else:
        a.ok(
            f"short names are searched on {', '.join(reg.search)} (short-name-mode {reg.short_name_mode})"
        )
    if sources:
        a.info(f"read: {', '.join(sources)}")
    return a.outcome(f"short names resolve on {', '.join(reg.search)}")
