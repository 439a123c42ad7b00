"""Fix scripts: the steps of failing findings rendered from Jinja2 templates into one script.

Templates live in the ``rootless.templates`` package (``templates/doctor/``) and are loaded
with importlib.resources, so they work from a wheel. The environment is strict: undefined
variables are errors, and every interpolated value goes through the ``sh`` filter
(``shlex.quote``). The only other filter, ``verbatim``, accepts nothing but text this module
rendered itself (a step body inserted into the script skeleton).

The script is split into a root part and a user part; each step says when it takes effect
(now / re-login / reboot). Steps are idempotent, and every file edit goes through helper
functions that prefix paths with ``$ROOTLESS_FIX_ROOT`` - which is how the tests run the
edits twice against a scratch directory and compare the trees. Commands that act on the
running system (package installs, sysctl, grubby, podman) run through ``live``, which skips
them under ``ROOTLESS_FIX_ROOT``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rootless import __version__

from .facts import FAMILY_NAMES, DistroInfo, distro_info
from .model import Finding, FixStep, Status

if TYPE_CHECKING:
    import jinja2

    from .host import Host

#: distribution packages per component and family (empty: not packaged there)
PACKAGES: Mapping[str, Mapping[str, Sequence[str]]] = {
    "uidmap": {
        "rhel7": ["shadow-utils"],
        "fedora": ["shadow-utils"],
        "debian": ["uidmap"],
        "suse": ["shadow"],
        "arch": ["shadow"],
        "alpine": ["shadow-uidmap"],
    },
    "podman": {f: ["podman"] for f in ("rhel7", "fedora", "debian", "suse", "arch", "alpine")},
    "passt": {f: ["passt"] for f in ("fedora", "debian", "suse", "arch", "alpine")},
    "slirp4netns": {
        f: ["slirp4netns"] for f in ("rhel7", "fedora", "debian", "suse", "arch", "alpine")
    },
    "fuse-overlayfs": {
        f: ["fuse-overlayfs"] for f in ("rhel7", "fedora", "debian", "suse", "arch", "alpine")
    },
    "crun": {f: ["crun"] for f in ("fedora", "debian", "suse", "arch", "alpine")},
    "runc": {f: ["runc"] for f in ("rhel7", "fedora", "debian", "suse", "arch", "alpine")},
    "dbus-user-session": {
        "fedora": ["dbus-daemon"],
        "debian": ["dbus-user-session"],
        "suse": ["dbus-1"],
        "arch": ["dbus"],
    },
}

TEMPLATE_DIR = "doctor"
SCRIPT_TEMPLATE = "script.sh.j2"
STEP_DIR = "steps"


class Rendered(str):
    """Shell text this module rendered (the only thing ``| verbatim`` accepts)."""

    __slots__ = ()


def _sh(value: object) -> str:
    """One shell word."""
    if isinstance(value, (bool, list, tuple, dict, set)) or value is None:
        raise TypeError(f"refusing to shell-quote {value!r} as one word")
    return shlex.quote(str(value))


def _sh_words(values: object) -> str:
    """A list as separate shell words."""
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"sh_words wants a list, got {values!r}")
    return " ".join(_sh(v) for v in values)


def _verbatim(value: object) -> str:
    if not isinstance(value, Rendered):
        raise TypeError("`verbatim` only accepts text rendered by rootless.doctor.fixes")
    return value


def template_text(name: str) -> str:
    """A template's source, from the installed ``rootless.templates`` package."""
    from importlib.resources import files  # noqa: PLC0415 - imports pathlib: only for fix scripts

    node = files("rootless.templates").joinpath(TEMPLATE_DIR)
    for part in name.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def step_template_names() -> list[str]:
    """Every step template shipped (names without ``.sh.j2``)."""
    from importlib.resources import files  # noqa: PLC0415 - imports pathlib: only for fix scripts

    folder = files("rootless.templates").joinpath(TEMPLATE_DIR, STEP_DIR)
    return sorted(p.name[: -len(".sh.j2")] for p in folder.iterdir() if p.name.endswith(".sh.j2"))


def environment() -> jinja2.Environment:
    import jinja2  # noqa: PLC0415 - jinja2 only when a script is written

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(template_text),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - shell, not HTML: values go through | sh
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["sh"] = _sh
    env.filters["sh_words"] = _sh_words
    env.filters["verbatim"] = _verbatim
    return env


class PlannedStep(NamedTuple):
    step: FixStep
    #: the checks that asked for it
    checks: tuple[str, ...]


def plan_steps(findings: Iterable[Finding]) -> list[PlannedStep]:
    """Steps of every problem finding, de-duplicated, in finding order."""
    order: list[str] = []
    by_key: dict[str, tuple[FixStep, list[str]]] = {}
    for finding in findings:
        if not finding.status.is_problem or not finding.fix:
            continue
        for step in finding.fix.steps:
            key = step.key()
            if key not in by_key:
                by_key[key] = (step, [])
                order.append(key)
            if finding.id not in by_key[key][1]:
                by_key[key][1].append(finding.id)
    return [PlannedStep(by_key[k][0], tuple(by_key[k][1])) for k in order]


def _step_context(step: FixStep, distro: DistroInfo) -> dict[str, Any]:
    context: dict[str, Any] = {"family": distro.family, **step.context}
    if step.template == "install-packages":
        component = str(step.context["component"])
        context["packages"] = list(PACKAGES.get(component, {}).get(distro.family, []))
    return context


def render_step(env: jinja2.Environment, step: FixStep, distro: DistroInfo) -> Rendered:
    template = env.get_template(f"{STEP_DIR}/{step.template}.sh.j2")
    return Rendered(template.render(_step_context(step, distro)).rstrip("\n"))


def render_fix_script(
    findings: Iterable[Finding], host: Host, *, distro: DistroInfo | None = None
) -> str:
    """One POSIX sh script with the fixes of every failing/warning finding."""
    distro = distro or distro_info(host)
    env = environment()
    planned = plan_steps(findings)
    parts: dict[str, list[dict[str, Any]]] = {"root": [], "user": []}
    ordered = [p for p in planned if p.step.part == "root"] + [
        p for p in planned if p.step.part == "user"
    ]
    for number, item in enumerate(ordered, start=1):
        parts[item.step.part].append(
            {
                "number": number,
                "checks": " ".join(item.checks),
                "summary": item.step.summary,
                "effect": item.step.takes_effect,
                "body": render_step(env, item.step, distro),
            }
        )
    skeleton = env.get_template(SCRIPT_TEMPLATE)
    return skeleton.render(
        version=__version__,
        user=host.user,
        uid=host.uid,
        distro_name=distro.name or "unknown",
        family=distro.family,
        family_name=FAMILY_NAMES.get(distro.family, distro.family),
        root_steps=parts["root"],
        user_steps=parts["user"],
        checks=sorted({c for item in planned for c in item.checks}),
    )


def problems_without_script(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status in (Status.FAIL, Status.ERROR) and not f.fix]
