"""Small filesystem helpers shared by the sub-commands."""

from __future__ import annotations

import contextlib
import os
import stat


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int | None = None,
    backup_suffix: str | None = None,
) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix.

    The data goes to a temporary file in the same directory, is flushed to disk and then
    renamed over the target. An existing file keeps its permission bits (and owner and
    group, when we are allowed to set them) unless ``mode`` is given. With ``backup_suffix``
    the old content is kept as ``path + backup_suffix`` (a hard link, so no copy is made).
    Interrupted at any point (Ctrl-C, full disk), the original file is left untouched.
    """
    target = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(target))
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    fd, tmp_name = _mkstemp(directory, f".{name}.", ".rootless-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        elif old is not None:
            os.chmod(tmp_name, stat.S_IMODE(old.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        if old is not None and (old.st_uid != os.geteuid() or old.st_gid != os.getegid()):
            with contextlib.suppress(PermissionError):
                os.chown(tmp_name, old.st_uid, old.st_gid)
        if backup_suffix and old is not None:
            backup = os.path.join(directory, name + backup_suffix)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(backup)
            os.link(target, backup)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _mkstemp(directory: str, prefix: str, suffix: str) -> tuple[int, str]:
    """``tempfile.mkstemp`` (a new 0600 file, never through a symlink) without importing
    tempfile, which brings random, shutil, bz2 and lzma onto every hot path that saves."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        name = os.path.join(directory, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {directory}")
