"""The file-kind registry: detection order matters (first match wins).

Each kind is a :class:`~rootless.migrate.kinds.base.FileKind` (detector + extractor). To
add one (compose, systemd, CI), write a module with ``KIND = FileKind(...)`` and list it
here; the driver, the report and the CLI need no change.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from . import (
    compose,
    crontab,
    devcontainer,
    dockerfile,
    envfile,
    github,
    gitlab,
    jenkinsfile,
    makefile,
    rcfile,
    shell_script,
    systemd,
)
from .base import Extraction, FileKind

KINDS: tuple[FileKind, ...] = (
    github.KIND,
    gitlab.KIND,
    compose.KIND,
    devcontainer.KIND,
    jenkinsfile.KIND,
    systemd.KIND,
    dockerfile.KIND,
    makefile.KIND,
    crontab.SYSTEM_KIND,
    crontab.KIND,
    envfile.KIND,
    rcfile.KIND,
    shell_script.KIND,
)


def detect_kind(path: str | PurePosixPath, head: bytes) -> FileKind | None:
    """The kind of a file from its path and its first bytes (None: not ours)."""
    p = PurePosixPath(path)
    for kind in KINDS:
        if kind.detect(p, head):
            return kind
    return None


def get_kind(kind_id: str) -> FileKind:
    for kind in KINDS:
        if kind.id == kind_id:
            return kind
    raise KeyError(kind_id)


__all__ = ["KINDS", "Extraction", "FileKind", "detect_kind", "get_kind"]
