"""Finding the files to migrate: recursive, ``.gitignore``-aware, never inside ``.git``.

Each candidate is either processed (with its :class:`~rootless.migrate.kinds.FileKind`)
or skipped with a reason the report shows: binary, too large, unreadable, a symlink
leaving the tree, or not a kind we migrate (the last one only for files named
explicitly; a directory walk passes over them silently).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rootless.migrate.kinds import FileKind, detect_kind

if TYPE_CHECKING:
    import pathspec

DEFAULT_MAX_SIZE = 2 * 1024 * 1024
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs"})
HEAD = 4096


@dataclass(frozen=True)
class Candidate:
    """A file to look at: where it is, how to show it, what to write to."""

    path: Path
    display: str
    #: where --write writes (the resolved target for an explicitly named symlink)
    real: Path


@dataclass(frozen=True)
class Skipped:
    display: str
    reason: str


class _Ignore:
    """``.gitignore`` rules of one directory tree (patterns are relative to their file)."""

    def __init__(self) -> None:
        self._specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    def load(self, directory: str) -> None:
        for name in (".gitignore", ".git/info/exclude"):
            try:
                with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().splitlines()
            except OSError:
                continue
            import pathspec  # noqa: PLC0415

            self._specs.append(
                (directory.rstrip("/") + "/", pathspec.GitIgnoreSpec.from_lines(lines))
            )

    def ignored(self, path: str, is_dir: bool) -> bool:
        """``path`` is absolute (as the walk builds it)."""
        result = False
        for base, spec in self._specs:
            if not path.startswith(base):
                continue
            rel = path[len(base) :] + ("/" if is_dir else "")
            r = spec.check_file(rel)
            if r.include is not None:
                result = bool(r.include)
        return result


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def discover(paths: list[Path]) -> Iterator[Candidate | Skipped]:
    """Files under ``paths`` (files named explicitly are always considered)."""
    for arg in paths:
        display = str(arg)
        if arg.is_symlink() and not arg.is_dir():
            target = os.path.realpath(arg)
            if not _within(target, os.path.realpath(arg.absolute().parent)):
                yield Skipped(display, f"symlink leaving the tree (-> {os.readlink(arg)})")
            elif os.path.isfile(target):
                yield Candidate(arg, display, Path(target))
            else:
                yield Skipped(display, "dangling symlink")
            continue
        if arg.is_dir():
            yield from _walk(arg)
        elif arg.exists():
            yield Candidate(arg, display, arg)
        else:
            yield Skipped(display, "no such file or directory")


def _walk(root: Path) -> Iterator[Candidate | Skipped]:
    ignore = _Ignore()
    top = os.path.realpath(root)
    # .gitignore files above the root, up to the repository top, also apply
    chain = [top]
    d = top
    while not os.path.exists(os.path.join(d, ".git")):
        parent = os.path.dirname(d)
        if parent == d:
            chain = [top]
            break
        d = parent
        chain.append(d)
    for d in reversed(chain[1:]):
        ignore.load(d)
    stack = [(str(root), top)]
    while stack:
        shown, real = stack.pop()
        ignore.load(real)
        try:
            entries = sorted(os.scandir(shown), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(shown, f"unreadable: {exc.strerror}")
            continue
        subdirs = []
        for e in entries:
            name = e.name
            shown_path = os.path.join(shown, name)
            real_path = real + "/" + name
            if e.is_symlink():
                target = os.path.realpath(shown_path)
                if os.path.isdir(target):
                    yield Skipped(shown_path, "symlink to a directory (not followed)")
                elif not _within(target, top):
                    yield Skipped(
                        shown_path, f"symlink leaving the tree (-> {os.readlink(shown_path)})"
                    )
                else:
                    yield Skipped(shown_path, "symlink (its target is processed on its own)")
                continue
            if e.is_dir(follow_symlinks=False):
                if name not in SKIP_DIRS and not ignore.ignored(real_path, True):
                    subdirs.append((shown_path, real_path))
                continue
            if ignore.ignored(real_path, False):
                continue
            p = Path(shown_path)
            yield Candidate(p, shown_path, p)
        stack.extend(reversed(subdirs))


@dataclass(frozen=True)
class Loaded:
    candidate: Candidate
    kind: FileKind
    data: bytes


def load(c: Candidate, *, max_size: int, explicit: bool) -> Loaded | Skipped | None:
    """Read a candidate if it is a kind we migrate (None: silently not ours)."""
    path = c.real
    try:
        st = os.stat(path)
    except OSError as exc:
        return Skipped(c.display, f"unreadable: {exc.strerror}")
    if not stat.S_ISREG(st.st_mode):
        return Skipped(c.display, "not a regular file") if explicit else None
    try:
        with open(path, "rb", buffering=0) as fh:
            head = fh.read(HEAD)
            kind = detect_kind(c.path.as_posix(), head)
            if kind is None:
                return Skipped(c.display, "not a file kind rootless migrates") if explicit else None
            if st.st_size > max_size:
                return Skipped(c.display, f"larger than {max_size} bytes (--max-size)")
            if b"\0" in head:
                return Skipped(c.display, "binary file")
            # a short first read of a regular file is its end
            data = head + fh.read() if len(head) == HEAD else head
    except OSError as exc:
        return Skipped(c.display, f"unreadable: {exc.strerror}")
    if b"\0" in data[:8192]:
        return Skipped(c.display, "binary file")
    return Loaded(c, kind, data)
