"""Registry credentials and ``WWW-Authenticate`` challenges.

Credentials come from the files podman and docker write, in podman's order:
``$REGISTRY_AUTH_FILE``, ``${XDG_RUNTIME_DIR}/containers/auth.json``,
``$XDG_CONFIG_HOME/containers/auth.json`` (default ``~/.config``), ``~/.docker/config.json``.
A key may name a host (``registry.example.com``), a repository namespace
(``registry.example.com/team``; the most specific wins, as in podman) or a legacy URL
(``https://index.docker.io/v1/``). Credential helpers are not run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from rootless.engine.idmap import Record
from rootless.errors import RootlessError

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the pull's hot path
if TYPE_CHECKING:
    from collections.abc import Mapping


class Credentials(Record):
    _fields = ("username", "password", "source")
    __slots__ = _fields
    username: str
    password: str
    source: str

    def __init__(self, username: str, password: str, source: str) -> None:
        self._init(username, password, source)

    def basic(self) -> str:
        import base64  # noqa: PLC0415 - only for registries that want credentials

        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


class Challenge(Record):
    _fields = ("scheme", "params")
    __slots__ = _fields
    scheme: str  # lower-case: "bearer", "basic"
    params: dict[str, str]

    def __init__(self, scheme: str, params: dict[str, str]) -> None:
        self._init(scheme, params)


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a ``WWW-Authenticate`` value per RFC 7235 (quoted strings may hold commas).

    ``Bearer realm="https://a/token",service="reg",scope="repository:x:pull,push"`` gives
    one challenge whose scope is ``repository:x:pull,push``. Several challenges in one
    header are separated by commas too; a token followed by a space starts a new one.
    """
    challenges: list[Challenge] = []
    i, n = 0, len(header)
    current: Challenge | None = None

    def skip_ws(j: int) -> int:
        while j < n and header[j] in " \t,":
            j += 1
        return j

    while True:
        i = skip_ws(i)
        if i >= n:
            break
        start = i
        while i < n and header[i] not in " \t,=":
            i += 1
        token = header[start:i]
        j = i
        while j < n and header[j] in " \t":
            j += 1
        if j < n and header[j] == "=" and current is not None:
            # auth-param: token = ( token / quoted-string )
            j += 1
            while j < n and header[j] in " \t":
                j += 1
            if j < n and header[j] == '"':
                j += 1
                value_chars: list[str] = []
                while j < n and header[j] != '"':
                    if header[j] == "\\" and j + 1 < n:
                        j += 1
                    value_chars.append(header[j])
                    j += 1
                j += 1  # closing quote
                value = "".join(value_chars)
            else:
                vstart = j
                while j < n and header[j] not in " \t,":
                    j += 1
                value = header[vstart:j]
            current.params[token.lower()] = value
            i = j
            continue
        if j < n and header[j] == "=" and current is None:
            i = j + 1  # malformed: a parameter before any scheme
            continue
        # a new auth-scheme (token68 forms are not used by registries)
        current = Challenge(token.lower(), {})
        challenges.append(current)
        i = j
    return challenges


def _config_home(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg)
    return Path(env.get("HOME") or os.path.expanduser("~")) / ".config"


def auth_files(env: Mapping[str, str] | None = None) -> list[Path]:
    """The credential files, in the order podman consults them."""
    env = os.environ if env is None else env
    files: list[Path] = []
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    files.append(_config_home(env) / "containers" / "auth.json")
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    files.append(home / ".docker" / "config.json")
    return files


def _normalise_key(key: str) -> str:
    key = key.strip()
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
            key = key.split("/", 1)[0]  # legacy URL keys name only the host
    if key in ("index.docker.io", "registry-1.docker.io"):
        key = "docker.io"
    return key.rstrip("/")


def find_credentials(
    host: str, repository_path: str = "", env: Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials for ``host`` (and optionally a repository under it), or ``None``.

    ``host`` is the registry as written in the image name (``docker.io``, not
    ``registry-1.docker.io``).
    """
    wanted: list[str] = []
    parts = repository_path.split("/") if repository_path else []
    for k in range(len(parts), 0, -1):
        wanted.append(host + "/" + "/".join(parts[:k]))
    wanted.append(host)
    for path in auth_files(env):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        except (OSError, ValueError) as exc:
            raise RootlessError(f"cannot read credentials from {path}: {exc}") from exc
        auths = data.get("auths") if isinstance(data, dict) else None
        if not isinstance(auths, dict):
            continue
        table = {_normalise_key(k): v for k, v in auths.items() if isinstance(v, dict)}
        for key in wanted:
            entry = table.get(key)
            if not entry:
                continue
            creds = _decode(entry, path)
            if creds is not None:
                return creds
    return None


def _decode(entry: Mapping[str, object], path: Path) -> Credentials | None:
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        import base64  # noqa: PLC0415 - only when an auth file has an entry for the host
        import binascii  # noqa: PLC0415

        try:
            raw = base64.b64decode(auth, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise RootlessError(f"{path}: an `auth` entry is not valid base64: {exc}") from exc
        user, sep, password = raw.partition(":")
        if not sep:
            raise RootlessError(f"{path}: an `auth` entry is not base64(user:password)")
        return Credentials(user, password, str(path))
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str):
        return Credentials(name, secret, str(path))
    return None
