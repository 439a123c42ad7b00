"""TOML configuration parsed once per content: ``tomllib`` results remembered by exact text.

``registries.conf`` and its drop-ins (Debian ships ``shortnames.conf``, ~80 aliases) are
read on every ``rootless engine pull``. Importing ``tomllib`` (which brings ``typing``,
``string``, ``datetime``) and parsing them costs more CPU than reading a small JSON file,
so the parsed data is remembered in ``$XDG_CACHE_HOME/rootless/toml-cache.json`` (default
``~/.cache``), keyed by the file's path **and its complete text**: a hit requires the text
just read to be identical to the text that was parsed, so an edit, a replaced file or a
clock that went backwards can never serve stale data (correct by construction, no mtimes).

Only plain data is cached (TOML date-times do not survive JSON and are never cached);
each hit is decoded afresh, so callers may mutate what they get. A missing, unreadable,
corrupt or foreign cache file is ignored; one that cannot be written only costs the parse.
"""

from __future__ import annotations

import contextlib
import json
import os

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the hot path
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

VERSION = 1
#: entries kept (the most recently stored win); each holds one file's text and data
MAX_ENTRIES = 32
FILE_NAME = "toml-cache.json"


def default_cache_path(env: Mapping[str, str] | None = None) -> str | None:
    """``$XDG_CACHE_HOME/rootless/toml-cache.json``, else under ``~/.cache``; None without
    a home."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        home = env.get("HOME") or os.path.expanduser("~")
        if not home or not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "rootless", FILE_NAME)


class TomlCache:
    """One process's view of the cache file: :meth:`loads` parses or recalls."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.entries: dict[str, list[str]] = {}  # file path -> [text, data as JSON]
        self.dirty = False
        if path is not None:
            self.entries = _read(path)

    def loads(self, text: str, path: str) -> dict[str, Any]:
        """``tomllib.loads(text)`` for the file ``path`` (raises ``tomllib.TOMLDecodeError``
        like it); from the cache when this exact text was parsed before."""
        entry = self.entries.get(path)
        if entry is not None and entry[0] == text:
            try:
                data = json.loads(entry[1])
            except ValueError:  # a damaged cache entry: parse again
                data = None
            if isinstance(data, dict):
                return data
        import tomllib  # noqa: PLC0415 - only when a file changed (or on the first run)

        data = tomllib.loads(text)
        self._remember(path, text, data)
        return data

    def _remember(self, path: str, text: str, data: dict[str, Any]) -> None:
        try:
            encoded = json.dumps(data, allow_nan=False)
        except (TypeError, ValueError):  # date-times, inf/nan: not worth remembering
            return
        if json.loads(encoded) != data:  # pragma: no cover - defensive: only exact data
            return
        self.entries.pop(path, None)
        self.entries[path] = [text, encoded]
        while len(self.entries) > MAX_ENTRIES:
            del self.entries[next(iter(self.entries))]
        self.dirty = True

    def save(self) -> None:
        """Write the cache back if something new was parsed (atomic; errors ignored)."""
        if not self.dirty or self.path is None:
            return
        self.dirty = False
        body = json.dumps({"version": VERSION, "entries": self.entries}).encode()
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, body)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _read(path: str) -> dict[str, list[str]]:
    try:
        with open(path, "rb") as fh:
            raw = json.loads(fh.read())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        return {}
    entries = raw.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {
        key: value
        for key, value in entries.items()
        if isinstance(key, str)
        and isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
    }
