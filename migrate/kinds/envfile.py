"""Env files (``.env``, ``*.env``): ``KEY=VALUE`` lines, optionally with ``export``."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rootless.migrate.regions import Region
from rootless.migrate.shell import Assignment, Word

from .base import Extraction, FileKind

LINE = re.compile(
    rb"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\n#]*?)[ \t]*(?:#[^\n]*)?\r?$",
    re.M,
)


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    return name == ".env" or name.endswith(".env") or name.startswith(".env.")


def _value(raw: str) -> str | None:
    if raw[:1] == "'" and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1]
    if raw[:1] == '"' and raw.endswith('"') and len(raw) >= 2:
        inner = raw[1:-1]
        return None if "$" in inner else re.sub(r'\\(["\\$`])', r"\1", inner)
    return None if "$" in raw else raw


def extract(data: bytes) -> Extraction:
    region = Region.whole(data, origin="env file")
    out = Extraction()
    for m in LINE.finditer(data):
        name = m.group(1).decode("ascii")
        vs, ve = m.span(2)
        raw = data[vs:ve].decode("utf-8", "surrogateescape")
        out.assignments.append(
            Assignment(name, m.start(1), ve, Word(vs, ve, raw, _value(raw)), region, dialect="env")
        )
    return out


KIND = FileKind("env", "env file (KEY=VALUE)", detect, extract)
