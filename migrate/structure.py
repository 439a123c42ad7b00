"""Structured documents that structure rules look at (compose, units, Dockerfiles, CI).

A file kind's extractor parses its file into a :class:`Structure`: the kind of model
(``kind``), the original bytes, and the parsed model itself (``root``): a
:class:`~rootless.migrate.yamlspan.YNode` tree for YAML and JSON files, a
:class:`~rootless.migrate.unitfile.UnitFile` for systemd units, a
:class:`~rootless.migrate.dockerfile.Dockerfile` for Dockerfiles. Every position in a
model is a byte offset into ``data``, so rules edit the original text by span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Structure:
    #: "compose", "unit", "dockerfile", "github-actions", "gitlab-ci", "devcontainer", "jenkinsfile"
    kind: str
    data: bytes
    root: Any
    #: the file's path as given (unit names for Quadlet files come from it)
    path: str | None = None
    #: facts computed once and shared by rules
    memo: dict[str, Any] = field(default_factory=dict)

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "surrogateescape")
