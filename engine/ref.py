"""Image references, parsed and normalised as podman does, and short names resolved through
the user's real ``registries.conf`` (containers-registries.conf(5), version 2, with drop-ins).

* ``busybox`` → ``docker.io/library/busybox:latest`` *only* when an alias or a search
  registry says so: podman never assumes docker.io for a short name.
* The first path component is a registry when it contains ``.`` or ``:`` or is ``localhost``.
* ``docker.io`` is reached at ``registry-1.docker.io``; ``index.docker.io`` is docker.io.

The configuration files are the ones podman reads: ``$CONTAINERS_REGISTRIES_CONF``, else
``$XDG_CONFIG_HOME/containers/registries.conf`` when it exists, else
``/etc/containers/registries.conf``; then the drop-ins of ``/etc/containers/registries.conf.d``
and ``$XDG_CONFIG_HOME/containers/registries.conf.d`` in lexical order (later files win).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from rootless.engine.idmap import Record
from rootless.errors import RootlessError, UsageError

# ``rootless engine pull`` imports this module on its hot path: no dataclasses, no typing
# at run time (mypy treats any name TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, Literal

    from rootless.engine.tomlcache import TomlCache

DOCKER_IO = "docker.io"
DOCKER_IO_ENDPOINT = "registry-1.docker.io"
DEFAULT_TAG = "latest"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_SHA256_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
_DOMAIN_RE = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$"
)


class ReferenceError_(UsageError):
    """An image reference that podman would refuse too."""


class Reference(Record):
    """A fully qualified reference: ``domain/path[:tag][@digest]``."""

    _fields = ("domain", "path", "tag", "digest")
    __slots__ = _fields
    domain: str
    path: str
    tag: str | None
    digest: str | None

    def __init__(
        self, domain: str, path: str, tag: str | None = None, digest: str | None = None
    ) -> None:
        self._init(domain, path, tag, digest)

    @property
    def repository(self) -> str:
        """``domain/path`` (what registries.conf prefixes match against)."""
        return f"{self.domain}/{self.path}"

    @property
    def endpoint(self) -> str:
        """The host[:port] to talk HTTP to."""
        return DOCKER_IO_ENDPOINT if self.domain == DOCKER_IO else self.domain

    @property
    def name(self) -> str:
        """The normalised name podman shows: ``domain/path:tag`` or ``domain/path@digest``."""
        if self.tag is not None:
            return f"{self.repository}:{self.tag}"
        if self.digest is not None:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{DEFAULT_TAG}"

    @property
    def manifest_ref(self) -> str:
        """What to ask the registry for: the digest when pinned, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    def __str__(self) -> str:
        text = self.repository
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


class ShortName(Record):
    """A reference without a registry (``busybox``, ``library/busybox:1.36``)."""

    _fields = ("path", "tag", "digest")
    __slots__ = _fields
    path: str
    tag: str | None
    digest: str | None

    def __init__(self, path: str, tag: str | None = None, digest: str | None = None) -> None:
        self._init(path, tag, digest)

    def qualify(self, domain: str) -> Reference:
        path = self.path
        if domain == DOCKER_IO and "/" not in path:
            path = f"library/{path}"
        return Reference(domain, path, self.tag, self.digest)

    def __str__(self) -> str:
        text = self.path
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def _split(text: str) -> tuple[str, str | None, str | None]:
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST_RE.match(digest):
            raise ReferenceError_(f"invalid digest {digest!r}")
        if digest.startswith("sha256:") and not _SHA256_RE.match(digest):
            raise ReferenceError_(f"invalid sha256 digest {digest!r}")
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG_RE.match(tag):
            raise ReferenceError_(f"invalid tag {tag!r}")
    return text, tag, digest


def parse(text: str) -> Reference | ShortName:
    """Parse an image reference; a :class:`ShortName` when it names no registry.

    A ``docker://`` transport prefix is accepted (podman accepts it too).
    """
    original = text
    text = text.strip()
    text = text.removeprefix("docker://")
    if not text:
        raise ReferenceError_("empty image reference")
    repo, tag, digest = _split(text)
    first, _, rest = repo.partition("/")
    is_domain = bool(rest) and ("." in first or ":" in first or first == "localhost")
    if is_domain:
        if not _DOMAIN_RE.match(first):
            raise ReferenceError_(f"invalid registry {first!r} in {original!r}")
        domain = first.lower() if first.lower() in {"docker.io", "index.docker.io"} else first
        if domain == "index.docker.io":
            domain = DOCKER_IO
        path = rest
        if domain == DOCKER_IO and "/" not in path:
            path = f"library/{path}"
    else:
        domain, path = "", repo
    if not _PATH_RE.match(path):
        hint = " (repository names must be lowercase)" if path.lower() != path else ""
        raise ReferenceError_(f"invalid image reference {original!r}{hint}")
    if not domain:
        return ShortName(path, tag, digest)
    return Reference(domain, path, tag, digest)


def parse_qualified(text: str) -> Reference:
    ref = parse(text)
    if isinstance(ref, ShortName):
        raise ReferenceError_(f"{text!r} is not a fully qualified reference")
    return ref


# --------------------------------------------------------------------------------------
# registries.conf

if TYPE_CHECKING:
    ShortNameMode = Literal["enforcing", "permissive", "disabled"]


class Endpoint(Record):
    _fields = ("location", "insecure", "pull_from_mirror")
    __slots__ = _fields
    location: str
    insecure: bool
    pull_from_mirror: str

    def __init__(
        self, location: str, insecure: bool = False, pull_from_mirror: str = "all"
    ) -> None:
        self._init(location, insecure, pull_from_mirror)


class RegistryEntry(Record):
    _fields = ("prefix", "location", "insecure", "blocked", "mirrors")
    __slots__ = _fields
    prefix: str
    location: str
    insecure: bool
    blocked: bool
    mirrors: tuple[Endpoint, ...]

    def __init__(
        self,
        prefix: str,
        location: str,
        insecure: bool = False,
        blocked: bool = False,
        mirrors: tuple[Endpoint, ...] = (),
    ) -> None:
        self._init(prefix, location, insecure, blocked, mirrors)

    def matches(self, repository: str) -> bool:
        """containers/image's prefix rule: whole components, ``*.`` wildcards on the host."""
        prefix = self.prefix
        if prefix.startswith("*."):
            host = repository.split("/", 1)[0]
            return host.endswith(prefix[1:])
        if not repository.startswith(prefix):
            return False
        return len(repository) == len(prefix) or repository[len(prefix)] in "/:@"


class RegistriesConf:
    """The merged configuration podman would use."""

    def __init__(
        self,
        search: list[str] | None = None,
        aliases: dict[str, str] | None = None,
        registries: dict[str, RegistryEntry] | None = None,
        short_name_mode: ShortNameMode = "enforcing",
        files: list[Path] | None = None,
    ) -> None:
        self.search: list[str] = [] if search is None else search
        self.aliases: dict[str, str] = {} if aliases is None else aliases
        self.registries: dict[str, RegistryEntry] = {} if registries is None else registries
        self.short_name_mode: ShortNameMode = short_name_mode
        self.files: list[Path] = [] if files is None else files

    def __repr__(self) -> str:
        return (
            f"RegistriesConf(search={self.search!r}, aliases={self.aliases!r}, "
            f"registries={self.registries!r}, short_name_mode={self.short_name_mode!r}, "
            f"files={self.files!r})"
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, RegistriesConf)
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a plain dataclass

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> RegistriesConf:
        """Read and merge the files podman would (parsed data is remembered per exact file
        content by :mod:`rootless.engine.tomlcache`)."""
        from rootless.engine.tomlcache import TomlCache, default_cache_path  # noqa: PLC0415

        env = os.environ if env is None else env
        conf = cls()
        cache = TomlCache(default_cache_path(env))
        for path in config_files(env):
            try:
                text = path.read_bytes()
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise RootlessError(f"cannot read {path}: {exc.strerror}") from exc
            conf.merge(parse_toml(text, path, cache=cache), path)
        cache.save()
        return conf

    def merge(self, data: Mapping[str, Any], path: Path | None = None) -> None:
        if path is not None:
            self.files.append(path)
        where = str(path) if path else "registries.conf"
        if "unqualified-search-registries" in data:
            self.search = [str(s) for s in _list(data["unqualified-search-registries"], where)]
        mode = data.get("short-name-mode")
        if mode is not None:
            if mode not in ("enforcing", "permissive", "disabled"):
                raise RootlessError(f"{where}: invalid short-name-mode {mode!r}")
            self.short_name_mode = mode
        aliases = data.get("aliases")
        if isinstance(aliases, Mapping):
            for key, value in aliases.items():
                self.aliases[str(key)] = str(value)
        # version 1 tables
        v1 = data.get("registries")
        if isinstance(v1, Mapping):
            search = v1.get("search", {}).get("registries")
            if search is not None:
                self.search = [str(s) for s in _list(search, where)]
            for host in v1.get("insecure", {}).get("registries", []) or []:
                self.registries[str(host)] = RegistryEntry(str(host), str(host), insecure=True)
            for host in v1.get("block", {}).get("registries", []) or []:
                self.registries[str(host)] = RegistryEntry(str(host), str(host), blocked=True)
        for table in data.get("registry", []) or []:
            if not isinstance(table, Mapping):
                raise RootlessError(f"{where}: [[registry]] must be a table")
            location = str(table.get("location", ""))
            prefix = str(table.get("prefix", "") or location)
            if not prefix:
                raise RootlessError(f"{where}: a [[registry]] needs a location or a prefix")
            mirrors = tuple(
                Endpoint(
                    str(m.get("location", "")),
                    bool(m.get("insecure", False)),
                    str(m.get("pull-from-mirror", "all")),
                )
                for m in table.get("mirror", []) or []
                if isinstance(m, Mapping) and m.get("location")
            )
            self.registries[prefix] = RegistryEntry(
                prefix,
                location or prefix,
                bool(table.get("insecure", False)),
                bool(table.get("blocked", False)),
                mirrors,
            )

    def registry_for(self, repository: str) -> RegistryEntry | None:
        """The ``[[registry]]`` table with the longest matching prefix."""
        best: RegistryEntry | None = None
        for entry in self.registries.values():
            if entry.matches(repository) and (best is None or len(entry.prefix) > len(best.prefix)):
                best = entry
        return best

    def resolve(self, text: str) -> list[Reference]:
        """Candidate references for ``text``, in the order podman tries them.

        A qualified name is itself. A short name is its alias when one exists, else one
        candidate per ``unqualified-search-registries`` entry. In ``enforcing`` mode with
        several search registries podman prompts on a terminal and fails otherwise; this
        engine never prompts, so it fails with the list of candidates.
        """
        ref = parse(text)
        if isinstance(ref, Reference):
            return [ref]
        alias = self.aliases.get(ref.path)
        if alias is not None:
            target = parse(alias)
            if isinstance(target, ShortName):
                raise RootlessError(f"alias {ref.path!r} = {alias!r} is not fully qualified")
            return [target._replace(tag=ref.tag, digest=ref.digest)]
        if not self.search:
            raise RootlessError(
                f"short-name {str(ref)!r} did not resolve to an alias and no "
                "unqualified-search registries are defined in registries.conf",
                hint=f"use a fully qualified name such as docker.io/{ref.qualify(DOCKER_IO).path}",
            )
        candidates = [ref.qualify(domain) for domain in self.search]
        if len(candidates) > 1 and self.short_name_mode == "enforcing":
            listed = ", ".join(str(c) for c in candidates)
            raise RootlessError(
                f"short-name {str(ref)!r} is ambiguous in short-name-mode enforcing "
                f"(candidates: {listed})",
                hint="use a fully qualified name, or add an [aliases] entry to registries.conf",
            )
        return candidates

    def local_candidates(self, text: str) -> list[Reference]:
        """Names a short name may have locally: aliases and search registries, never failing."""
        ref = parse(text)
        if isinstance(ref, Reference):
            return [ref]
        out: list[Reference] = []
        alias = self.aliases.get(ref.path)
        if alias is not None:
            target = parse(alias)
            if isinstance(target, Reference):
                out.append(target._replace(tag=ref.tag, digest=ref.digest))
        out += [ref.qualify(domain) for domain in [*self.search, "localhost"]]
        return out


def _list(value: object, where: str) -> Iterable[object]:
    if not isinstance(value, list):
        raise RootlessError(f"{where}: expected a list, found {type(value).__name__}")
    return value


def parse_toml(text: bytes, path: Path, *, cache: TomlCache | None = None) -> dict[str, Any]:
    """The TOML document ``text`` (read from ``path``); a :class:`RootlessError` naming the
    file when it is not UTF-8 or not TOML. ``cache`` recalls what this exact text gave."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RootlessError(f"cannot parse {path}: {exc}") from exc
    if cache is not None:
        try:
            return cache.loads(decoded, str(path))
        except ValueError as exc:  # tomllib.TOMLDecodeError (imported only on a cache miss)
            raise RootlessError(f"cannot parse {path}: {exc}") from exc
    import tomllib  # noqa: PLC0415 - only when a config is read

    try:
        return tomllib.loads(decoded)
    except tomllib.TOMLDecodeError as exc:
        raise RootlessError(f"cannot parse {path}: {exc}") from exc


def _config_home(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg)
    return Path(env.get("HOME") or os.path.expanduser("~")) / ".config"


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []


def config_files(
    env: Mapping[str, str],
    *,
    config_home: str | None = None,
    exists: Callable[[str], bool] = os.path.exists,
    listdir: Callable[[str], Iterable[str]] = _listdir,
) -> list[Path]:
    """The registries.conf files podman reads for this user, in merge order.

    ``exists`` and ``listdir`` default to the real filesystem; the doctor passes its
    injected host's, so the same order is judged on snapshot trees.
    """
    home = Path(config_home) if config_home else _config_home(env)
    files: list[Path] = []
    user_conf = home / "containers" / "registries.conf"
    if env.get("CONTAINERS_REGISTRIES_CONF"):
        files.append(Path(env["CONTAINERS_REGISTRIES_CONF"]))
    elif exists(str(user_conf)):
        files.append(user_conf)
    else:
        files.append(Path("/etc/containers/registries.conf"))
    for d in (Path("/etc/containers/registries.conf.d"), home / "containers" / "registries.conf.d"):
        files += [d / name for name in sorted(listdir(str(d))) if name.endswith(".conf")]
    return files


def canonical_platform(text: str) -> tuple[str, str, str | None]:
    """Parse ``os/arch[/variant]`` (as ``--platform``); architectures use Go's names."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"invalid platform {text!r}: expected OS/ARCH[/VARIANT], e.g. linux/amd64")
    os_, arch = parts[0].lower(), normalize_arch(parts[1].lower())
    variant = parts[2] if len(parts) == 3 else None
    return os_, arch, variant


_ARCH = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "armhf": "arm",
    "i386": "386",
    "i686": "386",
    "ppc64el": "ppc64le",
}


def normalize_arch(arch: str) -> str:
    return _ARCH.get(arch, arch)


def host_platform() -> tuple[str, str, str | None]:
    """This machine as an OCI platform (Go names; arm64 is variant v8)."""
    machine = os.uname().machine.lower()
    arch = normalize_arch(machine)
    variant = None
    if arch == "arm64":
        variant = "v8"
    elif arch == "arm":
        variant = {"armv6l": "v6", "armv7l": "v7"}.get(machine, "v7")
    return "linux", arch, variant
