"""Check registration: ``@check(id, title, ...)`` on a function ``(ctx) -> Outcome``.

Every check lives in its own module under ``doctor/checks/``; ``doctor/checks/__init__.py``
imports them in an explicit list, which is also the order of the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .host import Host
    from .model import Outcome
    from .runner import Context


class CheckSpec(NamedTuple):
    id: str
    title: str
    func: Callable[[Context], Outcome]
    #: why the state matters (shown with problems and in --list -v)
    why: str
    #: hard dependencies: when one of them is not ok/warn, this check is skipped
    requires: tuple[str, ...] = ()
    #: soft dependencies: waited for, their findings are visible in ``ctx.results``
    after: tuple[str, ...] = ()
    #: an active probe (creates namespaces); skipped with --no-probe
    probe: bool = False
    #: seconds before the runner gives up on it
    timeout: float = 10.0
    #: step templates this check's fixes may use (checked against templates/ by the tests)
    templates: tuple[str, ...] = ()
    #: facts that start external processes; the runner starts them before any check runs
    prefetch: tuple[Callable[[Host], object], ...] = ()
    links: tuple[str, ...] = ()
    module: str = ""


#: id -> spec, in registration order. The only module-level state: the registry itself.
REGISTRY: dict[str, CheckSpec] = {}


def _is_kebab(text: str) -> bool:
    words = text.split("-")
    return (
        bool(text)
        and text[0].isalpha()
        and all(w and all(c.isdigit() or ("a" <= c <= "z") for c in w) for w in words)
    )


def check(
    id: str,
    title: str,
    *,
    why: str,
    requires: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
    probe: bool = False,
    timeout: float = 10.0,
    templates: tuple[str, ...] = (),
    links: tuple[str, ...] = (),
    prefetch: tuple[Callable[[Host], object], ...] = (),
) -> Callable[[Callable[[Context], Outcome]], Callable[[Context], Outcome]]:
    """Register a check under a stable kebab-case ``id``."""
    if not _is_kebab(id):
        raise ValueError(f"check id {id!r} is not kebab-case")

    def register(func: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        if id in REGISTRY and REGISTRY[id].func is not func:
            raise ValueError(f"duplicate check id {id!r}")
        REGISTRY[id] = CheckSpec(
            id=id,
            title=title,
            func=func,
            why=why,
            requires=requires,
            after=after,
            probe=probe,
            timeout=timeout,
            templates=templates,
            links=links,
            prefetch=prefetch,
            module=func.__module__,
        )
        return func

    return register


def all_checks() -> list[CheckSpec]:
    """Every registered check, in report order (``checks.ORDER``; imports them once)."""
    from rootless.doctor import checks  # noqa: PLC0415 - the check modules import this one

    rank = {module.__name__: i for i, module in enumerate(checks.ORDER)}
    return sorted(REGISTRY.values(), key=lambda s: rank.get(s.module, len(rank)))


def get(id: str) -> CheckSpec:
    all_checks()
    return REGISTRY[id]


def with_dependencies(ids: list[str]) -> list[CheckSpec]:
    """The checks named by ``ids`` plus everything they depend on, in report order."""
    ordered = all_checks()
    specs = {s.id: s for s in ordered}
    wanted: set[str] = set()
    stack = list(ids)
    while stack:
        current = stack.pop()
        if current in wanted:
            continue
        wanted.add(current)
        stack.extend(specs[current].requires)
        stack.extend(specs[current].after)
    return [s for s in ordered if s.id in wanted]
