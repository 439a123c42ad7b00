"""``rootless migrate``: rewrites Docker usage for rootless Podman with minimal diffs.

Public library seam::

    from rootless.migrate import fix_text, fix_bytes, Settings
    result = fix_text("sudo docker run nginx\n")
    result.text      # 'podman run docker.io/library/nginx\n'
    result.findings  # what changed and why, and what could not be changed
    result.edits     # byte spans applied to the original

Nothing heavy is imported until a function is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Finding, FixResult, Settings, Severity

if TYPE_CHECKING:
    from .driver import fix_bytes, fix_text
    from .registry import Rule


def __getattr__(name: str) -> Any:
    if name in ("fix_bytes", "fix_text"):
        from . import driver  # noqa: PLC0415

        return getattr(driver, name)
    raise AttributeError(name)


def list_rules() -> tuple[Rule, ...]:
    """Every rule, in the order they run."""
    from .registry import all_rules  # noqa: PLC0415

    return all_rules()


__all__ = ["Finding", "FixResult", "Settings", "Severity", "fix_bytes", "fix_text", "list_rules"]
