"""Helpers shared by rule modules (not a rule)."""

from __future__ import annotations

from rootless.migrate.model import DOCS
from rootless.migrate.shell import Command

PODMAN_RUN = f"{DOCS}/podman-run.1.html"
ROOTLESS_MD = "https://github.com/containers/podman/blob/main/rootless.md"
RUN_CREATE = frozenset({"run", "create"})
TROUBLESHOOTING = "https://github.com/containers/podman/blob/main/troubleshooting.md"


def engine_call(cmd: Command) -> bool:
    """A docker/podman invocation (literal, resolved variable, or engine-looking variable)."""
    return cmd.is_engine_call


def engine_action(cmd: Command, *actions: str) -> bool:
    return engine_call(cmd) and cmd.invocation.action in actions


def target_word(cmd: Command) -> str:
    """What the engine is called after migration, for text we insert (``podman``)."""
    name = cmd.name
    if name is None:
        return "podman"
    if name.value is None:
        return name.text
    return "/usr/bin/podman" if name.value.startswith("/") else "podman"


def host_port(spec: str) -> int | None:
    """The host port of a ``-p`` value (``[ip:]host:container[/proto]``), if fixed."""
    spec = spec.strip("\"'").split("/", 1)[0]
    if spec.startswith("["):  # [::1]:80:80
        spec = spec[spec.find("]") + 2 :]
    parts = spec.split(":")
    if len(parts) < 2:
        return None
    host = parts[-2].split("-", 1)[0]
    return int(host) if host.isdigit() else None
