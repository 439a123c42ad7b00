"""Shared plumbing for YAML file kinds: parse once, report a syntax error as a note."""

from __future__ import annotations

from rootless.migrate.model import Note, Severity
from rootless.migrate.yamlspan import YAMLError, YNode, parse

from .base import Extraction

YAML_LINK = "https://yaml.org/spec/1.2.2/"


def load(data: bytes, out: Extraction, what: str) -> YNode | None:
    """The first document's root, or None (with a ``config-error`` note on a syntax error)."""
    try:
        docs = parse(data)
    except YAMLError as exc:
        out.notes.append(
            (
                exc.offset,
                Note(
                    "config-error",
                    Severity.WARNING,
                    0,
                    f"this {what} does not parse as YAML ({exc}): nothing in it is changed",
                    None,
                    YAML_LINK,
                ),
            )
        )
        return None
    return docs[0] if docs else None


def parses(data: bytes) -> bool:
    try:
        parse(data)
    except YAMLError:
        return False
    return True
