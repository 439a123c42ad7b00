"""The file-kind contract: a detector and an extractor.

A kind says whether a file is its kind (by name, and by content where names lie) and
cuts the file into what rules understand: shell regions (with offset maps back into the
file) and assignments that live outside shell (Makefile ``DOCKER ?= docker``, env files).
Issue 6's kinds (compose, systemd units, CI configs) plug in here with their own
extractors; a YAML ``run:`` block becomes a :class:`~rootless.migrate.regions.Region`
exactly like a Makefile recipe does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from rootless.migrate.regions import Region
from rootless.migrate.shell import Assignment

if TYPE_CHECKING:
    from rootless.migrate.model import Note
    from rootless.migrate.structure import Structure


@dataclass
class Extraction:
    """What a file kind hands the driver."""

    regions: list[Region] = field(default_factory=list)
    #: assignments outside any shell region (they carry their own region for mapping)
    assignments: list[Assignment] = field(default_factory=list)
    #: variables the shell regions can resolve (``DOCKER ?= docker`` -> {"DOCKER": "docker"})
    variables: dict[str, str] = field(default_factory=dict)
    #: the parsed model for structure rules (compose, unit, Dockerfile, CI config)
    structure: Structure | None = None
    #: notes the extractor itself has (a YAML syntax error): (file offset, note)
    notes: list[tuple[int, Note]] = field(default_factory=list)
    #: name of a :class:`~rootless.migrate.model.Settings` flag that must be set for the
    #: shell regions to be handed to the shell rules (systemd units: ``edit_units``)
    regions_need: str | None = None


@dataclass(frozen=True)
class FileKind:
    """A kind of file the migrator understands."""

    id: str
    description: str
    #: (path, first bytes of the file) -> is this kind?
    detect: Callable[[PurePosixPath, bytes], bool]
    extract: Callable[[bytes], Extraction]
    #: also process files that never name docker/podman (compose ``image: nginx``,
    #: Dockerfile ``FROM alpine``); other kinds are skipped without a parse
    always: bool = False
    #: does the output still parse? (a safety net like the shell re-parse; None: no check)
    parses: Callable[[bytes], bool] | None = None


def first_line(head: bytes) -> bytes:
    return head.split(b"\n", 1)[0]
