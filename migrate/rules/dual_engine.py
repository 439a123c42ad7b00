"""Scripts that already choose between docker and podman are left alone (the driver gates)."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Rule

MESSAGE = (
    "this file already supports both docker and podman (it probes or selects the engine): "
    "engine names are left alone; other rules still apply"
)

RULE = Rule(
    id="dual-engine",
    summary="files that select between docker and podman keep their engine logic",
    example="command -v podman && E=podman || E=docker  ->  (unchanged, info)",
    severity=Severity.INFO,
    link="https://github.com/containers/podman/issues/18248",
)
