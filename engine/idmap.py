"""Subordinate id ranges (/etc/subuid, /etc/subgid) and the id maps built from them.

Pure functions over text, shared by the doctor (which judges the files) and the engine
(which maps a user namespace with them). The lookup rule is the one containers/storage
uses (``pkg/idtools``): a line belongs to a user when its first field is the user's name
*or* the user's numeric uid.
"""

from __future__ import annotations

import os
import pwd

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the hot path
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Self

#: the size podman, the docs and rootlesskit ask for (uid 65534 "nobody" must fit)
WANTED_IDS = 65536
#: kernels >= 4.15 accept up to 340 lines in uid_map/gid_map
MAX_MAP_LINES = 340


class Record:
    """An immutable record with the fields ``_fields`` (in constructor order; also its
    ``__slots__``): equality, hashing and repr like a frozen dataclass. (``rootless engine
    run`` imports this module on its hot path, where importing :mod:`dataclasses` and
    generating the classes cost ~15 ms.)"""

    _fields: tuple[str, ...] = ()
    __slots__ = ()

    def _init(self, *values: object) -> None:
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def _replace(self, **changes: object) -> Self:
        """A copy with some fields changed (``dataclasses.replace``); subclasses take their
        fields positionally, in ``_fields`` order."""
        values = [changes.pop(name, getattr(self, name)) for name in self._fields]
        if changes:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(changes)}")
        return type(self)(*values)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__name__}({fields})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen record")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen record")


class SubIdEntry(Record):
    """One well-formed line: ``owner:start:count``."""

    _fields = ("owner", "start", "count", "lineno")
    __slots__ = _fields
    owner: str
    start: int
    count: int
    lineno: int

    def __init__(self, owner: str, start: int, count: int, lineno: int) -> None:
        self._init(owner, start, count, lineno)

    @property
    def end(self) -> int:
        """One past the last id of the range."""
        return self.start + self.count

    def overlaps(self, start: int, count: int) -> bool:
        return self.start < start + count and start < self.end

    def contains(self, ident: int) -> bool:
        return self.start <= ident < self.end


class SubIdProblem(Record):
    """A line that could not be used, with the reason (shown with its line number)."""

    _fields = ("lineno", "text", "reason")
    __slots__ = _fields
    lineno: int
    text: str
    reason: str

    def __init__(self, lineno: int, text: str, reason: str) -> None:
        self._init(lineno, text, reason)


class SubIdFile(Record):
    _fields = ("entries", "problems")
    __slots__ = _fields
    entries: tuple[SubIdEntry, ...]
    problems: tuple[SubIdProblem, ...]

    def __init__(self, entries: tuple[SubIdEntry, ...], problems: tuple[SubIdProblem, ...]) -> None:
        self._init(entries, problems)

    def for_user(self, user: str, uid: int) -> tuple[SubIdEntry, ...]:
        """The ranges of a user, by name or numeric uid, in file order."""
        keys = {user, str(uid)}
        return tuple(e for e in self.entries if e.owner in keys)


_MAX_ID = 2**32 - 1


def parse_subid(text: str) -> SubIdFile:
    """Parse the text of /etc/subuid or /etc/subgid.

    Blank lines and ``#`` comments are ignored (shadow's own parser skips them too).
    Anything else that is not ``owner:start:count`` with decimal numbers, a positive count
    and a range inside the 32-bit id space is reported as a problem, never guessed at.
    """
    entries: list[SubIdEntry] = []
    problems: list[SubIdProblem] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) != 3:
            problems.append(
                SubIdProblem(
                    lineno, raw, f"expected owner:start:count, found {len(parts)} field(s)"
                )
            )
            continue
        owner, start_s, count_s = (p.strip() for p in parts)
        if not owner:
            problems.append(SubIdProblem(lineno, raw, "empty owner field"))
            continue
        if not (
            start_s.isascii() and start_s.isdigit() and count_s.isascii() and count_s.isdigit()
        ):
            problems.append(SubIdProblem(lineno, raw, "start and count must be decimal numbers"))
            continue
        start, count = int(start_s), int(count_s)
        if count == 0:
            problems.append(SubIdProblem(lineno, raw, "count is 0 (an empty range)"))
            continue
        if start + count - 1 > _MAX_ID:
            problems.append(
                SubIdProblem(lineno, raw, "range runs past the largest id (4294967295)")
            )
            continue
        entries.append(SubIdEntry(owner, start, count, lineno))
    return SubIdFile(tuple(entries), tuple(problems))


class IdMapping(Record):
    """One line of a uid_map/gid_map: ``container_id host_id size``."""

    _fields = ("container_id", "host_id", "size")
    __slots__ = _fields
    container_id: int
    host_id: int
    size: int

    def __init__(self, container_id: int, host_id: int, size: int) -> None:
        self._init(container_id, host_id, size)

    def line(self) -> str:
        return f"{self.container_id} {self.host_id} {self.size}"


def build_mappings(own_id: int, ranges: Sequence[SubIdEntry]) -> tuple[IdMapping, ...]:
    """The map podman builds: container 0 is the user, 1.. are the sub-id ranges in order."""
    maps = [IdMapping(0, own_id, 1)]
    next_id = 1
    for entry in ranges[: MAX_MAP_LINES - 1]:
        maps.append(IdMapping(next_id, entry.start, entry.count))
        next_id += entry.count
    return tuple(maps)


def helper_argv(helper: str, pid: int, mappings: Iterable[IdMapping]) -> list[str]:
    """argv for newuidmap/newgidmap: ``helper PID cid hid size [cid hid size ...]``."""
    argv = [helper, str(pid)]
    for m in mappings:
        argv += [str(m.container_id), str(m.host_id), str(m.size)]
    return argv


def total_ids(mappings: Iterable[IdMapping]) -> int:
    return sum(m.size for m in mappings)


def suggest_free_range(
    taken: Iterable[tuple[int, int]],
    *,
    count: int = WANTED_IDS,
    minimum: int = 100000,
) -> int:
    """First free ``start`` on the grid ``minimum + k*count`` (the grid useradd allocates on,
    from SUB_UID_MIN) such that ``[start, start+count)`` overlaps none of ``taken``.

    ``taken`` holds ``(start, count)`` pairs: every sub-id range of every user (both files)
    and the ids of real accounts, so the suggestion never collides with what the host uses.
    """
    spans = sorted((s, s + n) for s, n in taken if n > 0)
    candidate = minimum
    moved = True
    while moved:
        moved = False
        for lo, hi in spans:
            if lo < candidate + count and candidate < hi:
                steps = -(-(hi - minimum) // count)  # ceil
                candidate = minimum + steps * count
                moved = True
    if candidate + count - 1 > _MAX_ID:
        raise ValueError("no free sub-id range left in the 32-bit id space")
    return candidate


class UserIds(Record):
    """The ids a user namespace for ``user`` can map: own uid/gid plus sub-id ranges."""

    _fields = ("user", "uid", "gid", "subuids", "subgids")
    __slots__ = _fields
    user: str
    uid: int
    gid: int
    subuids: tuple[SubIdEntry, ...]
    subgids: tuple[SubIdEntry, ...]

    def __init__(
        self,
        user: str,
        uid: int,
        gid: int,
        subuids: tuple[SubIdEntry, ...],
        subgids: tuple[SubIdEntry, ...],
    ) -> None:
        self._init(user, uid, gid, subuids, subgids)

    @property
    def has_ranges(self) -> bool:
        return bool(self.subuids) and bool(self.subgids)

    def uid_mappings(self) -> tuple[IdMapping, ...]:
        return build_mappings(self.uid, self.subuids)

    def gid_mappings(self) -> tuple[IdMapping, ...]:
        return build_mappings(self.gid, self.subgids)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except FileNotFoundError:
        return ""


def lookup_user_ids(uid: int | None = None, *, root: str | os.PathLike[str] = "/") -> UserIds:
    """Sub-id ranges of the user with ``uid`` (default: the caller), read under ``root``."""
    if uid is None:
        uid = os.getuid()
    try:
        pw = pwd.getpwuid(uid)
        name, gid = pw.pw_name, pw.pw_gid
    except KeyError:
        name, gid = str(uid), os.getgid()
    base = os.fspath(root)
    subuid = parse_subid(_read(os.path.join(base, "etc/subuid"))).for_user(name, uid)
    subgid = parse_subid(_read(os.path.join(base, "etc/subgid"))).for_user(name, uid)
    return UserIds(name, uid, gid, subuid, subgid)
