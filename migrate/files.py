"""Finding the files to migrate: recursive, ``.gitignore``-aware, never inside ``.git``.

Each candidate is either processed (with its :class:`~rootless.migrate.kinds.FileKind`)
or skipped with a reason the report shows: binary, too large, unreadable, a symlink
leaving the tree, or not a kind we migrate (the last one only for files named
explicitly; a directory walk passes over them silently).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from rootless.migrate.kinds import FileKind, detect_kind

if TYPE_CHECKING:
    import pathspec

DEFAULT_MAX_SIZE = 2 * 1024 * 1024
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs"})
HEAD = 512


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
        self._specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []

    def load(self, directory: Path) -> None:
        import pathspec  # noqa: PLC0415

        for name in (".gitignore", ".git/info/exclude"):
            f = directory / name
            try:
                lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            self._specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))

    def unload(self, directory: Path) -> None:
        self._specs = [(d, s) for d, s in self._specs if d != directory]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        result = False
        for base, spec in self._specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if is_dir:
                rel += "/"
            r = spec.check_file(rel)
            if r.include is not None:
                result = bool(r.include)
        return result


def _within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def discover(paths: list[Path]) -> Iterator[Candidate | Skipped]:
    """Files under ``paths`` (files named explicitly are always considered)."""
    for arg in paths:
        display = str(arg)
        if arg.is_symlink() and not arg.is_dir():
            target = arg.resolve()
            if not _within(target, arg.absolute().parent.resolve()):
                yield Skipped(display, f"symlink leaving the tree (-> {os.readlink(arg)})")
            elif target.is_file():
                yield Candidate(arg, display, target)
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
    # .gitignore files above the root, up to the repository top, also apply
    top = root.resolve()
    chain = []
    for parent in [top, *top.parents]:
        chain.append(parent)
        if (parent / ".git").exists():
            break
    else:
        chain = [top]
    for d in reversed(chain[1:]):
        ignore.load(d)
    real_root = top
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        ignore.load(d.resolve())
        keep = []
        for name in sorted(dirnames):
            sub = d / name
            if name in SKIP_DIRS:
                continue
            if sub.is_symlink():
                yield Skipped(str(sub), "symlink to a directory (not followed)")
                continue
            if ignore.ignored(sub.resolve(), True):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            f = d / name
            if f.is_symlink():
                target = f.resolve()
                if not _within(target, real_root):
                    yield Skipped(str(f), f"symlink leaving the tree (-> {os.readlink(f)})")
                else:
                    yield Skipped(str(f), "symlink (its target is processed on its own)")
                continue
            if ignore.ignored(d.resolve() / name, False):
                continue
            yield Candidate(f, str(f), f)


@dataclass(frozen=True)
class Loaded:
    candidate: Candidate
    kind: FileKind
    data: bytes


def load(c: Candidate, *, max_size: int, explicit: bool) -> Loaded | Skipped | None:
    """Read a candidate if it is a kind we migrate (None: silently not ours)."""
    path = c.real
    try:
        st = path.stat()
    except OSError as exc:
        return Skipped(c.display, f"unreadable: {exc.strerror}")
    if not os.path.isfile(path):
        return Skipped(c.display, "not a regular file") if explicit else None
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD)
            kind = detect_kind(PurePosixPath(c.path.as_posix()), head)
            if kind is None:
                return Skipped(c.display, "not a file kind rootless migrates") if explicit else None
            if st.st_size > max_size:
                return Skipped(c.display, f"larger than {max_size} bytes (--max-size)")
            if b"\0" in head:
                return Skipped(c.display, "binary file")
            data = head + fh.read()
    except OSError as exc:
        return Skipped(c.display, f"unreadable: {exc.strerror}")
    if b"\0" in data[:8192]:
        return Skipped(c.display, "binary file")
    return Loaded(c, kind, data)
