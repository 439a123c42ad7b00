"""Helpers several checks share: fix-step builders and the sysctl live-vs-configured rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .facts import SysctlSetting, sysctl_config, sysctl_live
from .model import Assessment, Effect, Fix, FixStep, Part
from .runner import Context

#: our sysctl drop-in (sorts after most vendor files; /etc/sysctl.conf is still applied last)
SYSCTL_DROPIN = "/etc/sysctl.d/99-rootless.conf"


def step(template: str, summary: str, *, part: Part, effect: Effect, **context: Any) -> FixStep:
    return FixStep(template, summary, part, effect, context)


def fix(*steps: FixStep, note: str = "") -> Fix:
    return Fix(tuple(steps), note)


def note(message: str, *, part: Part = "root", effect: Effect = "now") -> FixStep:
    """A step the script cannot do for the user: it prints what to do by hand."""
    return step("note", message, part=part, effect=effect, message=message)


def packages(component: str, why: str, *, effect: Effect = "now") -> FixStep:
    """Install the distribution's package(s) for ``component`` (names per family)."""
    return step(
        "install-packages",
        f"install {component} ({why})",
        part="root",
        effect=effect,
        component=component,
    )


def migrate() -> FixStep:
    return step(
        "podman-system-migrate",
        "restart podman's pause process so it picks up the new configuration (podman system migrate)",
        part="user",
        effect="now",
    )


def sysctl_step(key: str, value: str, disable: list[str] | None = None) -> FixStep:
    return step(
        "sysctl",
        f"set {key} = {value} (persistently, in {SYSCTL_DROPIN}) and apply it",
        part="root",
        effect="now",
        key=key,
        value=value,
        file=SYSCTL_DROPIN,
        disable=sorted(disable or []),
    )


def sysctl_apply_step() -> FixStep:
    return step(
        "sysctl-apply",
        "apply the configured sysctl settings (sysctl --system)",
        part="root",
        effect="now",
    )


def _where(s: SysctlSetting) -> str:
    return f"{s.path}:{s.lineno}"


def assess_sysctl(
    ctx: Context,
    a: Assessment,
    key: str,
    good: Callable[[str], bool],
    wanted: str,
    *,
    bad_status: str = "fail",
    meaning: str = "",
) -> str | None:
    """Judge ``key`` live *and* as configured for the next boot; returns the live value.

    - live good, config good or silent: ok
    - live good, a config file sets a bad value: warn (it reverts at the next boot)
    - live bad, config good: configured but not applied (fix: sysctl --system)
    - live bad, config bad or silent: set it in our drop-in (and disable bad lines in /etc)
    Returns None (and adds nothing) when the kernel has no such knob.
    """
    live = sysctl_live(ctx.host, key)
    if live is None:
        return None
    config = ctx.fact(sysctl_config)
    for error in config.errors:
        a.warn(
            f"cannot read the sysctl configuration, so the value at the next boot is unknown: {error}"
        )
    eff = config.effective(key)
    bad_in_etc = sorted(
        {
            s.path
            for s in config.all_for(key)
            if not good(s.value) and s.path.startswith("/etc/") and s.path != SYSCTL_DROPIN
        }
    )
    suffix = f" ({meaning})" if meaning else ""
    add = a.fail if bad_status == "fail" else a.warn
    if good(live):
        if eff is not None and not good(eff.value):
            a.warn(
                f"{key} is {live} now, but {_where(eff)} sets {eff.value}: it reverts at the next boot",
                fix(sysctl_step(key, wanted, bad_in_etc)),
            )
        else:
            a.ok(f"{key} = {live}" + (f" (set in {_where(eff)})" if eff else ""))
    elif eff is not None and good(eff.value):
        add(
            f"{key} is {live}{suffix}, although {_where(eff)} sets {eff.value}: the setting was never applied",
            fix(sysctl_apply_step()),
        )
    else:
        where = f"; {_where(eff)} sets {eff.value}" if eff is not None else ""
        add(f"{key} is {live}{suffix}{where}", fix(sysctl_step(key, wanted, bad_in_etc)))
    return live
