"""systemd units (``*.service``): parsed for the Quadlet rule; ``Exec*=`` command lines
become shell regions only with ``--edit-units`` (in-place docker -> podman).

An ``Exec*=`` value is shell-like enough for the shell rules: a ``\\`` + newline
continuation reads the same, the ``-@:+!`` prefixes are cut off, and replacement text is
written back with ``%`` doubled (systemd specifiers) and ``${XDG_RUNTIME_DIR}`` as ``%t``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from rootless.migrate.regions import RegionBuilder
from rootless.migrate.structure import Structure
from rootless.migrate.unitfile import EXEC_PREFIX, parse_unit

from .base import Extraction, FileKind

SUFFIXES = (".service", ".service.in")
EXEC_KEYS = frozenset(
    {"ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost", "ExecReload",
     "ExecCondition"}
)  # fmt: skip


def detect(path: PurePosixPath, head: bytes) -> bool:
    return path.name.endswith(SUFFIXES)


def _encode(text: str, pos: int) -> str:
    marker = "\0XDG\0"
    text = text.replace("${XDG_RUNTIME_DIR}", marker).replace("$XDG_RUNTIME_DIR", marker)
    return text.replace("%", "%%").replace(marker, "%t")


def extract(data: bytes) -> Extraction:
    unit = parse_unit(data)
    out = Extraction(structure=Structure("unit", data, unit), regions_need="edit_units")
    for e in unit.entries:
        if e.section != "Service" or e.key not in EXEC_KEYS:
            continue
        m = EXEC_PREFIX.match(e.value)
        skip = len(m.group(0)) if m else 0
        b = RegionBuilder(data)
        b.substitute(e.value_start, e.value_start + skip, b"")
        b.copy(e.value_start + skip, e.value_end)
        out.regions.append(b.build(origin=f"{e.key}= command", encoder=_encode))
    return out


KIND = FileKind("systemd", "systemd unit (*.service)", detect, extract)
