"""Dockerfiles and Containerfiles (by name): ``FROM`` images and buildah differences."""

from __future__ import annotations

from pathlib import PurePosixPath

from rootless.migrate.dockerfile import parse_dockerfile
from rootless.migrate.structure import Structure

from .base import Extraction, FileKind


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    low = name.lower()
    return (
        name in ("Dockerfile", "Containerfile", "dockerfile", "containerfile")
        or name.startswith(("Dockerfile.", "Containerfile.", "Dockerfile-", "Containerfile-"))
        or low.endswith((".dockerfile", ".containerfile"))
    )


def extract(data: bytes) -> Extraction:
    return Extraction(structure=Structure("dockerfile", data, parse_dockerfile(data)))


KIND = FileKind("dockerfile", "Dockerfile / Containerfile", detect, extract, always=True)
