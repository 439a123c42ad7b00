"""Crontabs: only the command part of each entry goes to the shell rules.

User crontabs (``crontab -l`` dumps, ``*.cron``) have five time fields and the command;
system crontabs (``/etc/crontab``, ``/etc/cron.d/*``) have a user field in between.
``@reboot``-style specials replace the five fields. An unescaped ``%`` ends the command
(the rest is standard input) and ``\\%`` is a literal ``%``: the region reads ``\\%`` as
``%`` and replacement text gets its ``%`` escaped again. ``NAME=value`` lines are
assignments (``DOCKER_HOST=...``).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rootless.migrate.regions import RegionBuilder
from rootless.migrate.shell import Assignment, Word

from .base import Extraction, FileKind

FIELD = rb"[0-9*/,\-A-Za-z?LW#]+"
TIMED = re.compile(rb"[ \t]*(?:@[a-z]+|(?:" + FIELD + rb"[ \t]+){4}" + FIELD + rb")[ \t]+")
USER = re.compile(rb"[a-z_][a-z0-9_.-]*[$]?[ \t]+")
ENV = re.compile(rb"[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*")
NAMES = frozenset({"crontab", "root.crontab", "crontab.txt"})


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    return (
        name in NAMES
        or name.endswith((".cron", ".crontab"))
        or path.parent.name in ("cron.d", "crontabs")
        or (name.startswith("crontab") and "." not in name)
    )


def _encode(text: str, pos: int) -> str:
    return text.replace("%", "\\%")


def extract_with(data: bytes, *, system: bool) -> Extraction:
    out = Extraction()
    pos = 0
    n = len(data)
    whole = None
    while pos < n:
        nl = data.find(b"\n", pos)
        end = n if nl < 0 else nl
        line_end = end - 1 if end > pos and data[end - 1 : end] == b"\r" else end
        s = pos
        pos = end + 1
        line = data[s:line_end]
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        m = TIMED.match(data, s, line_end)
        if m is None:
            em = ENV.match(data, s, line_end)
            if em:
                from rootless.migrate.regions import Region  # noqa: PLC0415

                whole = whole or Region.whole(data, origin="crontab")
                vs, ve = em.end(), line_end
                raw = data[vs:ve].decode("utf-8", "surrogateescape")
                out.assignments.append(
                    Assignment(
                        em.group(1).decode(),
                        em.start(1),
                        ve,
                        Word(vs, ve, raw, raw.strip("\"'") if "$" not in raw else None),
                        whole,
                        dialect="crontab",
                    )
                )
            continue
        cs = m.end()
        user = ""
        if system:
            um = USER.match(data, cs, line_end)
            if um is None:
                continue
            user = data[cs : um.end()].strip().decode("utf-8", "replace")
            cs = um.end()
        b = RegionBuilder(data)
        i = cs
        run = cs
        while i < line_end:
            c = data[i : i + 1]
            if c == b"\\" and data[i + 1 : i + 2] == b"%":
                b.copy(run, i)
                b.substitute(i, i + 2, b"%")
                i = run = i + 2
                continue
            if c == b"%":
                break
            i += 1
        b.copy(run, i)
        attrs = {"cron_user": user} if user else {}
        out.regions.append(b.build(origin="crontab", encoder=_encode, attrs=attrs))
    return out


def extract(data: bytes) -> Extraction:
    return extract_with(data, system=False)


def extract_system(data: bytes) -> Extraction:
    return extract_with(data, system=True)


def detect_system(path: PurePosixPath, head: bytes) -> bool:
    return path.parent.name == "cron.d" or (path.name == "crontab" and path.parent.name == "etc")


KIND = FileKind("crontab", "user crontab (crontab -l, *.cron)", detect, extract)
SYSTEM_KIND = FileKind(
    "system-crontab",
    "system crontab with a user field (/etc/crontab, cron.d)",
    detect_system,
    extract_system,
)
