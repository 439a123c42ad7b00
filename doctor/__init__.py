"""``rootless doctor``: checks a host for rootless Podman and prints the fixes.

The public API other parts of rootless use (``rootless verify`` runs checks by id and prints
their fixes)::

    from rootless.doctor import run_checks, render_fix_script, explain, list_checks

    findings = run_checks(ids=["subid-ranges", "uidmap-helpers"])
    problems = [f for f in findings if f.status.is_problem]
    print(render_fix_script(problems))

Everything heavy (rich, jinja2, distro, psutil) is imported only when used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .model import Finding, Fix, FixStep, Status

if TYPE_CHECKING:
    from .host import Host
    from .runner import Facts

__all__ = [
    "CheckInfo",
    "Finding",
    "Fix",
    "FixStep",
    "Status",
    "UnknownCheckError",
    "diagnose",
    "explain",
    "host_facts",
    "list_checks",
    "render_fix_script",
    "run_checks",
]


class UnknownCheckError(ValueError):
    """A check id that is not registered."""

    def __init__(self, unknown: Sequence[str]) -> None:
        super().__init__(
            f"unknown check id(s): {', '.join(unknown)} (see `rootless doctor --list`)"
        )
        self.unknown = list(unknown)


class CheckInfo(NamedTuple):
    id: str
    title: str
    why: str
    probe: bool
    has_fix: bool
    requires: tuple[str, ...]


def list_checks() -> list[CheckInfo]:
    """Every check, in report order."""
    from .facts import PROBE_FACTS  # noqa: PLC0415 - the API module stays light
    from .registry import all_checks  # noqa: PLC0415 - the API module stays light

    return [
        CheckInfo(
            s.id,
            s.title,
            s.why,
            s.probe or any(f in PROBE_FACTS for f in s.prefetch),
            bool(s.templates),
            s.requires,
        )
        for s in all_checks()
    ]


class Diagnosis(NamedTuple):
    findings: list[Finding]
    facts: Facts
    host: Host


def diagnose(
    host: Host | None = None,
    ids: Iterable[str] | None = None,
    *,
    probes: bool = True,
    facts: Facts | None = None,
    params: Mapping[str, object] | None = None,
) -> Diagnosis:
    """Run the checks (all, or ``ids`` plus their dependencies) against ``host``.

    ``params`` are inputs some checks judge, e.g. ``{"ports": ["8080"]}`` for
    ``published-ports`` (the host ports about to be published)."""
    from .host import RealHost  # noqa: PLC0415 - the API module stays light
    from .registry import REGISTRY, all_checks, with_dependencies  # noqa: PLC0415 - the API module stays light
    from .runner import run  # noqa: PLC0415 - the API module stays light

    target: Host = host if host is not None else RealHost()
    specs = all_checks()
    if ids is not None:
        wanted = list(dict.fromkeys(ids))
        unknown = [i for i in wanted if i not in REGISTRY]
        if unknown:
            raise UnknownCheckError(unknown)
        specs = with_dependencies(wanted)
    result = run(target, specs, probes=probes, facts=facts, params=params)
    return Diagnosis(result.findings, result.facts, target)


def run_checks(
    host: Host | None = None,
    ids: Iterable[str] | None = None,
    probes: bool = True,
    *,
    params: Mapping[str, object] | None = None,
) -> list[Finding]:
    """Findings for ``ids`` (default: every check) on ``host`` (default: this machine as the
    current user). Dependencies of the named checks run too and are included. ``params``:
    see :func:`diagnose`."""
    return diagnose(host, ids, probes=probes, params=params).findings


def render_fix_script(findings: Iterable[Finding], host: Host | None = None) -> str:
    """One reviewed-before-running POSIX sh script fixing the given (problem) findings."""
    from .fixes import render_fix_script as render  # noqa: PLC0415 - the API module stays light
    from .host import RealHost  # noqa: PLC0415 - the API module stays light

    target: Host = host if host is not None else RealHost()
    return render(findings, target)


def explain(text: str) -> list[str]:
    """Check ids that explain the podman/newuidmap/crun error messages found in ``text``."""
    from .explain import explain as find  # noqa: PLC0415 - the API module stays light

    return find(text)


def host_facts(host: Host, facts: Facts | None = None) -> dict[str, Any]:
    """Facts about the host for reports: distribution, kernel, podman, cgroups, user."""
    from .facts import cgroup_info, distro_info, kernel_release, podman_info, systemd_booted  # noqa: PLC0415 - the API module stays light
    from .host import HostFileError  # noqa: PLC0415 - the API module stays light
    from .runner import Facts as FactsType  # noqa: PLC0415 - the API module stays light

    facts = facts or FactsType(host)

    def safe(fn: Any) -> Any:
        try:
            return facts.get(fn)
        except HostFileError:
            return None

    distro = safe(distro_info)
    podman = safe(podman_info)
    cgroup = safe(cgroup_info)
    return {
        "distro": distro.to_json() if distro else None,
        "kernel": safe(kernel_release),
        "podman": podman.version_str if podman and podman.version else None,
        "podman_path": podman.path if podman else None,
        "cgroup": cgroup.mode if cgroup else None,
        "systemd": safe(systemd_booted),
        "user": host.user,
        "uid": host.uid,
    }
