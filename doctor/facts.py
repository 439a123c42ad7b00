"""Host facts several checks share, each a pure-ish function of a :class:`Host`.

Checks get them through ``ctx.fact(fn)`` so each is computed once per run (never cached
across runs). Parsers are separate ``parse_*`` functions over text, tested on their own.
"""

from __future__ import annotations

import os
import posixpath
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from rootless.engine.idmap import SubIdEntry, SubIdFile, UserIds, parse_subid

from .host import Host, HostFileError, Mount, NamespaceProbe, mount_for

# --------------------------------------------------------------------------------------
# Distribution


class DistroInfo(NamedTuple):
    id: str
    name: str
    version: str
    codename: str
    like: tuple[str, ...]
    #: fix-script vocabulary: rhel7 | fedora | debian | suse | arch | alpine | unknown
    family: str

    @property
    def major(self) -> int | None:
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "codename": self.codename,
            "like": list(self.like),
            "family": self.family,
        }


FAMILY_NAMES = {
    "rhel7": "RHEL/CentOS 7",
    "fedora": "Fedora/RHEL",
    "debian": "Debian/Ubuntu",
    "suse": "openSUSE/SLES",
    "arch": "Arch Linux",
    "alpine": "Alpine Linux (OpenRC)",
    "unknown": "unknown distribution",
}

_EL = {
    "rhel",
    "centos",
    "ol",
    "oracle",
    "rocky",
    "almalinux",
    "scientific",
    "virtuozzo",
    "cloudlinux",
}


def distro_family(id: str, like: Iterable[str], major: int | None) -> str:
    ids = {id, *like}
    if "alpine" in ids:
        return "alpine"
    if "arch" in ids or id in {"manjaro", "endeavouros"}:
        return "arch"
    if ids & {"suse", "opensuse", "sles", "sled"} or id.startswith("opensuse"):
        return "suse"
    if id in _EL and major == 7:
        return "rhel7"
    if ids & (_EL | {"fedora"}):
        return "fedora"
    if ids & {"debian", "ubuntu"}:
        return "debian"
    return "unknown"


#: the ids ``distro`` normalises (kept, so ids read either way are the same)
_NORMALISED_IDS = {"ol": "oracle", "opensuse-leap": "opensuse"}
_OS_RELEASE_FILES = ("/etc/os-release", "/usr/lib/os-release")


def parse_os_release(text: str) -> dict[str, str]:
    """os-release(5): ``KEY=value`` lines, values unquoted as a shell would (no expansion)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote, value = value[0], value[1:-1]
            if quote == '"':
                chars: list[str] = []
                i = 0
                while i < len(value):
                    ch = value[i]
                    if ch == "\\" and i + 1 < len(value) and value[i + 1] in '\\"$`':
                        i += 1
                        ch = value[i]
                    chars.append(ch)
                    i += 1
                value = "".join(chars)
        out[key] = value
    return out


def _codename(fields: Mapping[str, str]) -> str:
    code = fields.get("VERSION_CODENAME") or fields.get("UBUNTU_CODENAME") or ""
    if code:
        return code
    # VERSION="7 (Core)" or "18.04.6 LTS, Bionic Beaver": the words without digits
    match = re.search(r"\((\D+)\)|,\s*(\D+)", fields.get("VERSION", ""))
    return (match.group(1) or match.group(2) or "").strip() if match else ""


def distro_info(host: Host) -> DistroInfo:
    """The distribution, from ``os-release`` under ``host.root`` (no subprocesses).

    ``os-release`` is read directly (the ``distro`` library imports ``logging`` and
    ``argparse``: ~30 ms of every doctor run); hosts without one (CentOS 6, old SUSE and
    Alpine) or Debian-like ones without a ``VERSION_ID`` (testing, sid) fall back to ``distro``,
    which knows their ``*-release`` and ``debian_version`` files.
    """
    fields: dict[str, str] = {}
    for path in _OS_RELEASE_FILES:
        try:
            text = host.read_text(path)
        except (HostFileError, UnicodeError):
            text = None
        if text is not None:
            fields = parse_os_release(text)
            break
    debian_like = "debian" in {fields.get("ID", ""), *fields.get("ID_LIKE", "").split()}
    if fields.get("ID") and (fields.get("VERSION_ID") or not debian_like):
        did = fields["ID"].lower().replace(" ", "_")
        did = _NORMALISED_IDS.get(did, did)
        name = fields.get("PRETTY_NAME") or fields.get("NAME") or did
        version = fields.get("VERSION_ID", "")
        codename = _codename(fields)
        like = tuple(fields.get("ID_LIKE", "").lower().split())
    else:
        did, name, version, codename, like = _distro_library(host)
    head = version.split(".", 1)[0]
    major = int(head) if head.isdigit() else None
    return DistroInfo(did, name, version, codename, like, distro_family(did, like, major))


def _distro_library(host: Host) -> tuple[str, str, str, str, tuple[str, ...]]:
    import distro  # noqa: PLC0415 - only for hosts without os-release

    try:
        d = distro.LinuxDistribution(
            root_dir=host.root, include_lsb=False, include_uname=False, include_oslevel=False
        )
        did = d.id()
        return (
            did,
            d.name(pretty=True) or d.name() or did,
            d.version(),
            d.codename(),
            tuple(d.like().split()),
        )
    except (OSError, UnicodeError, ValueError):
        return "", "", "", "", ()


def kernel_release(host: Host) -> str:
    try:
        return (host.read_text("/proc/sys/kernel/osrelease") or "").strip()
    except HostFileError:
        return ""


def is_el7(host: Host, distro: DistroInfo) -> bool:
    return distro.family == "rhel7" or ".el7" in kernel_release(host)


def systemd_booted(host: Host) -> bool:
    """sd_booted(): /run/systemd/system exists on hosts whose init is systemd."""
    st = host.stat("/run/systemd/system")
    return st is not None and st.is_dir


# --------------------------------------------------------------------------------------
# Podman


class PodmanInfo(NamedTuple):
    path: str
    realpath: str
    version: tuple[int, int, int] | None
    text: str
    error: str = ""

    @property
    def version_str(self) -> str:
        return ".".join(map(str, self.version)) if self.version else "unknown"


def version_triple(word: str) -> tuple[int, int, int] | None:
    """ "4.9.4-rhel" -> (4, 9, 4); "5.1" -> (5, 1, 0)."""
    parts: list[int] = []
    for piece in word.split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    if len(parts) < 2:
        return None
    return parts[0], parts[1], parts[2] if len(parts) > 2 else 0


def parse_podman_version(text: str) -> tuple[int, int, int] | None:
    """The version in `podman --version` output (no regex: this runs on every start)."""
    words = text.split()
    for i, word in enumerate(words[:-1]):
        if word == "version":
            return version_triple(words[i + 1])
    return None


def podman_info(host: Host) -> PodmanInfo | None:
    """``podman --version`` (cheap: no user namespace, no storage); None if not installed."""
    path = host.which("podman")
    if path is None:
        return None
    res = host.run([path, "--version"], timeout=10)
    if not res.ok:
        return PodmanInfo(path, host.realpath(path), None, "", (res.stderr or res.stdout).strip())
    return PodmanInfo(
        path, host.realpath(path), parse_podman_version(res.stdout), res.stdout.strip()
    )


# --------------------------------------------------------------------------------------
# Sub-ids


class SubIdSource(NamedTuple):
    path: str
    exists: bool
    parsed: SubIdFile
    #: why the file could not be read at all (unreadable, binary, huge)
    error: str = ""
    #: lines podman refuses (not three fields): it then rejects the whole file
    fatal_lines: tuple[int, ...] = ()


class SubIdState(NamedTuple):
    subuid: SubIdSource
    subgid: SubIdSource
    #: the `subid:` source in /etc/nsswitch.conf, if any (e.g. "sss")
    nss_source: str = ""


def _subid_source(host: Host, path: str) -> SubIdSource:
    empty = SubIdFile((), ())
    try:
        text = host.read_text(path)
    except HostFileError as exc:
        return SubIdSource(path, True, empty, exc.reason)
    if text is None:
        return SubIdSource(path, False, empty)
    parsed = parse_subid(text)
    fatal = tuple(
        p.lineno for p in parsed.problems if p.reason.startswith("expected owner:start:count")
    )
    return SubIdSource(path, True, parsed, fatal_lines=fatal)


def parse_nsswitch_subid(text: str) -> str:
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("subid:"):
            return line.split(":", 1)[1].strip()
    return ""


def subid_state(host: Host) -> SubIdState:
    try:
        nss = parse_nsswitch_subid(host.read_text("/etc/nsswitch.conf") or "")
    except HostFileError:
        nss = ""
    return SubIdState(_subid_source(host, "/etc/subuid"), _subid_source(host, "/etc/subgid"), nss)


def user_ids(host: Host) -> UserIds:
    """The checked user's sub-id ranges, looked up by name or uid (podman's rule)."""
    state = subid_state(host)
    return UserIds(
        host.user,
        host.uid,
        host.gid,
        state.subuid.parsed.for_user(host.user, host.uid),
        state.subgid.parsed.for_user(host.user, host.uid),
    )


def subid_ranges_total(entries: Sequence[SubIdEntry]) -> int:
    return sum(e.count for e in entries)


# --------------------------------------------------------------------------------------
# sysctl: live value vs what the configuration files will set at boot


SYSCTL_DIRS = (
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)


def normalize_sysctl_key(key: str) -> str:
    return key.strip().lstrip("-").replace("/", ".")


def normalize_sysctl_value(value: str) -> str:
    return " ".join(value.split())


def parse_sysctl_conf(text: str) -> list[tuple[str, str, int]]:
    """``key = value`` lines -> [(key, value, lineno)] (comments with # or ;)."""
    out: list[tuple[str, str, int]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        out.append((normalize_sysctl_key(key), normalize_sysctl_value(value), lineno))
    return out


class SysctlSetting(NamedTuple):
    key: str
    value: str
    path: str
    lineno: int


class SysctlConfig(NamedTuple):
    #: every setting in the order `sysctl --system` applies them (the last one wins)
    settings: tuple[SysctlSetting, ...]
    errors: tuple[str, ...] = ()

    def effective(self, key: str) -> SysctlSetting | None:
        found = [s for s in self.settings if s.key == key]
        return found[-1] if found else None

    def all_for(self, key: str) -> list[SysctlSetting]:
        return [s for s in self.settings if s.key == key]


def sysctl_files(host: Host) -> list[str]:
    """Files in the order `sysctl --system` / systemd-sysctl apply them: sysctl.d files
    sorted by name (a name in an earlier directory masks the same name later), then
    /etc/sysctl.conf."""
    by_name: dict[str, str] = {}
    for directory in SYSCTL_DIRS:
        for name in host.listdir(directory):
            if name.endswith(".conf") and name not in by_name:
                by_name[name] = posixpath.join(directory, name)
    files = [by_name[n] for n in sorted(by_name)]
    if host.exists("/etc/sysctl.conf"):
        files.append("/etc/sysctl.conf")
    return files


def sysctl_config(host: Host) -> SysctlConfig:
    settings: list[SysctlSetting] = []
    errors: list[str] = []
    for path in sysctl_files(host):
        try:
            text = host.read_text(path) or ""
        except HostFileError as exc:
            errors.append(str(exc))
            continue
        settings += [SysctlSetting(k, v, path, n) for k, v, n in parse_sysctl_conf(text)]
    return SysctlConfig(tuple(settings), tuple(errors))


def sysctl_live(host: Host, key: str) -> str | None:
    """The running kernel's value (None when the kernel has no such knob)."""
    text = host.read_text("/proc/sys/" + key.replace(".", "/"))
    return None if text is None else normalize_sysctl_value(text)


# --------------------------------------------------------------------------------------
# Kernel command line: live vs configured in the boot loader


def kernel_cmdline(host: Host) -> tuple[str, ...]:
    return tuple((host.read_text("/proc/cmdline") or "").split())


# compiled on first use (re caches them): only CentOS/RHEL 7 hosts read boot loader files
_GRUB_DEFAULT = r'^\s*(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)\s*=\s*(["\']?)(.*)\2\s*$'
_KERNEL_LINE = r"^\s*(linux|linux16|linuxefi|kernel)\s+(\S+)\s*(.*)$"


def parse_grub_default(text: str) -> tuple[str, ...]:
    args: list[str] = []
    for line in text.splitlines():
        m = re.match(_GRUB_DEFAULT, line)
        if m:
            args += m.group(3).split()
    return tuple(args)


def parse_grub_cfg(text: str) -> tuple[str, ...]:
    """Kernel arguments of the first boot entry in a generated grub.cfg."""
    for line in text.splitlines():
        m = re.match(_KERNEL_LINE, line)
        if m:
            return tuple(m.group(3).split())
    return ()


BOOT_CONFIGS = (
    "/etc/default/grub",
    "/boot/grub2/grub.cfg",
    "/boot/grub/grub.cfg",
    "/etc/kernel/cmdline",
    "/boot/grub2/grubenv",
    "/etc/update-extlinux.conf",
)


class BootConfig(NamedTuple):
    #: kernel arguments for the next boot, per boot-loader file that exists
    args: Mapping[str, tuple[str, ...]]
    #: boot-loader files that exist but cannot be read
    errors: tuple[str, ...] = ()


def boot_config(host: Host) -> BootConfig:
    """Kernel arguments configured for the next boot, per boot-loader file that exists."""
    out: dict[str, tuple[str, ...]] = {}
    errors: list[str] = []
    paths = list(BOOT_CONFIGS)
    paths += [
        f"/boot/loader/entries/{n}"
        for n in host.listdir("/boot/loader/entries")
        if n.endswith(".conf")
    ]
    paths += [f"/boot/efi/EFI/{d}/grub.cfg" for d in host.listdir("/boot/efi/EFI")]
    for path in paths:
        try:
            text = host.read_text(path)
        except HostFileError as exc:
            errors.append(str(exc))
            continue
        if text is None:
            continue
        if path == "/etc/default/grub":
            args = parse_grub_default(text)
        elif path.endswith("grub.cfg"):
            args = parse_grub_cfg(text)
        elif path.endswith("grubenv"):
            args = tuple(
                a
                for line in text.splitlines()
                if line.startswith("kernelopts=")
                for a in line.split("=", 1)[1].split()
            )
        elif path.startswith("/boot/loader/entries/"):
            args = tuple(
                a
                for line in text.splitlines()
                if line.startswith("options ")
                for a in line.split()[1:]
            )
        elif path == "/etc/update-extlinux.conf":
            args = tuple(
                a
                for line in text.splitlines()
                if line.startswith("default_kernel_opts=")
                for a in line.split("=", 1)[1].strip().strip("\"'").split()
            )
        else:
            args = tuple(text.split())
        out[path] = args
    return BootConfig(out, tuple(errors))


# --------------------------------------------------------------------------------------
# cgroups


class CgroupInfo(NamedTuple):
    #: v2 (unified) | hybrid (v1 controllers + an empty-ish v2 at /sys/fs/cgroup/unified) | v1 | none
    mode: str
    #: controllers attached to the cgroup v2 hierarchy
    v2_controllers: tuple[str, ...] = ()


def cgroup_info(host: Host) -> CgroupInfo:
    mounts = host.mounts()
    by_point = {m.mountpoint: m for m in mounts}
    top = by_point.get("/sys/fs/cgroup")
    if top is not None and top.fstype == "cgroup2":
        text = host.read_text("/sys/fs/cgroup/cgroup.controllers") or ""
        return CgroupInfo("v2", tuple(text.split()))
    unified = by_point.get("/sys/fs/cgroup/unified")
    has_v1 = any(m.fstype == "cgroup" for m in mounts)
    if unified is not None and unified.fstype == "cgroup2":
        text = host.read_text("/sys/fs/cgroup/unified/cgroup.controllers") or ""
        return CgroupInfo("hybrid", tuple(text.split()))
    if has_v1:
        return CgroupInfo("v1")
    return CgroupInfo("none")


# --------------------------------------------------------------------------------------
# containers.conf and storage.conf


class TomlChain(NamedTuple):
    """Several TOML files merged in order (later files override keys of earlier ones)."""

    merged: Mapping[str, Any]
    sources: tuple[str, ...]
    errors: tuple[str, ...]

    def get(self, *keys: str, default: Any = None) -> Any:
        node: Any = self.merged
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                return default
            node = node[key]
        return node


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        elif isinstance(value, Mapping):
            base[key] = {}
            _deep_merge(base[key], value)
        else:
            base[key] = value


def load_toml_chain(host: Host, paths: Iterable[str]) -> TomlChain:
    merged: dict[str, Any] = {}
    sources: list[str] = []
    errors: list[str] = []
    for path in paths:
        try:
            text = host.read_text(path)
        except HostFileError as exc:
            errors.append(str(exc))
            continue
        if text is None:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            errors.append(f"{path}: {exc}")
            continue
        sources.append(path)
        _deep_merge(merged, data)
    return TomlChain(merged, tuple(sources), tuple(errors))


def config_home(host: Host) -> str:
    return host.env.get("XDG_CONFIG_HOME") or posixpath.join(
        host.env.get("HOME") or host.home, ".config"
    )


def data_home(host: Host) -> str:
    return host.env.get("XDG_DATA_HOME") or posixpath.join(
        host.env.get("HOME") or host.home, ".local/share"
    )


def _dropins(host: Host, directory: str) -> list[str]:
    return [posixpath.join(directory, n) for n in host.listdir(directory) if n.endswith(".conf")]


def containers_conf(host: Host) -> TomlChain:
    """containers.conf as podman merges it for a rootless user."""
    override = host.env.get("CONTAINERS_CONF")
    if override:
        return load_toml_chain(host, [override])
    user_dir = posixpath.join(config_home(host), "containers")
    paths = [
        "/usr/share/containers/containers.conf",
        *_dropins(host, "/usr/share/containers/containers.conf.d"),
        "/etc/containers/containers.conf",
        *_dropins(host, "/etc/containers/containers.conf.d"),
        "/etc/containers/containers.rootless.conf",
        *_dropins(host, "/etc/containers/containers.rootless.conf.d"),
        posixpath.join(user_dir, "containers.conf"),
        *_dropins(host, posixpath.join(user_dir, "containers.conf.d")),
    ]
    return load_toml_chain(host, paths)


class StorageConfig(NamedTuple):
    #: configured driver ("" = podman picks one)
    driver: str
    graphroot: str
    runroot: str
    mount_program: str
    sources: tuple[str, ...]
    errors: tuple[str, ...]
    #: drivers that already hold data in graphroot (their <driver>-layers directory exists)
    stored_drivers: tuple[str, ...] = ()

    @property
    def effective_driver(self) -> str:
        if self.stored_drivers:
            return self.stored_drivers[0]
        return self.driver


def _expand(host: Host, value: str) -> str:
    home = host.env.get("HOME") or host.home
    return value.replace("$HOME", home).replace("$UID", str(host.uid)).replace("$USER", host.user)


def storage_config(host: Host) -> StorageConfig:
    """storage.conf as containers/storage resolves it for a rootless user."""
    override = host.env.get("CONTAINERS_STORAGE_CONF")
    if override:
        system_paths = [override]
        user_paths: list[str] = []
    else:
        system = "/etc/containers/storage.conf"
        if not host.exists(system):
            system = "/usr/share/containers/storage.conf"
        system_paths = [system]
        user_paths = [posixpath.join(config_home(host), "containers/storage.conf")]
    system_chain = load_toml_chain(host, system_paths)
    user_chain = load_toml_chain(host, user_paths)

    def pick(*keys: str) -> str:
        value = user_chain.get(*keys)
        if value is None:
            value = system_chain.get(*keys)
        return str(value) if isinstance(value, str) else ""

    driver = host.env.get("STORAGE_DRIVER") or pick("storage", "driver")
    graphroot = str(user_chain.get("storage", "graphroot", default="") or "")
    if not graphroot:
        rootless_path = system_chain.get("storage", "rootless_storage_path", default="")
        graphroot = (
            _expand(host, rootless_path) if isinstance(rootless_path, str) and rootless_path else ""
        )
    if not graphroot:
        graphroot = posixpath.join(data_home(host), "containers/storage")
    runroot = str(user_chain.get("storage", "runroot", default="") or "")
    if not runroot:
        xdg = host.env.get("XDG_RUNTIME_DIR")
        runroot = (
            posixpath.join(xdg, "containers")
            if xdg
            else f"/tmp/containers-user-{host.uid}/containers"  # noqa: S108 - storage's own default
        )
    mount_program = pick("storage", "options", "overlay", "mount_program") or pick(
        "storage", "options", "mount_program"
    )
    stored = tuple(
        name[: -len("-layers")] for name in host.listdir(graphroot) if name.endswith("-layers")
    )
    return StorageConfig(
        driver=driver,
        graphroot=graphroot,
        runroot=runroot,
        mount_program=mount_program,
        sources=system_chain.sources + user_chain.sources,
        errors=system_chain.errors + user_chain.errors,
        stored_drivers=stored,
    )


def nearest_existing(host: Host, path: str) -> str:
    """``path`` or its closest ancestor that exists."""
    current = posixpath.normpath(path)
    while current != "/" and not host.exists(current):
        current = posixpath.dirname(current)
    return current


def mount_table(host: Host) -> tuple[Mount, ...]:
    """/proc/self/mountinfo, parsed once per run."""
    return host.mounts()


def filesystem_of(
    host: Host, path: str, mounts: Sequence[Mount] | None = None
) -> tuple[str, Mount | None]:
    """(existing path used, the Mount it lives on or None)."""
    existing = nearest_existing(host, path)
    return existing, mount_for(host.mounts() if mounts is None else mounts, existing)


# --------------------------------------------------------------------------------------
# Executables podman uses


def find_helper(host: Host, name: str, conf: TomlChain | None = None) -> str | None:
    """Find a helper binary the way podman does: helper_binaries_dir first, then PATH."""
    dirs = [
        "/usr/local/libexec/podman",
        "/usr/local/lib/podman",
        "/usr/libexec/podman",
        "/usr/lib/podman",
    ]
    if conf is not None:
        configured = conf.get("engine", "helper_binaries_dir")
        if isinstance(configured, list):
            dirs = [str(d) for d in configured] + dirs
    for directory in dirs:
        candidate = posixpath.join(directory, name)
        if host.exists(candidate):
            return candidate
    found = host.which(name)
    if found:
        return found
    for directory in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"):
        candidate = posixpath.join(directory, name)
        if host.exists(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------------------
# The active probe (one namespace for the three probing checks)


class NamespaceProbeRun(NamedTuple):
    probe: NamespaceProbe
    #: "full" (the sub-id ranges through newuidmap/newgidmap) or "single" (one id)
    mode: str
    #: where the overlay scratch directory went (None: not writable, overlay not probed)
    overlay_dir: str | None
    #: file system type of overlay_dir
    overlay_fs: str


def namespace_probe(host: Host) -> NamespaceProbeRun:
    """Run the namespace probe once per doctor run (the checks read their part)."""
    from rootless.engine.userns import MapPlan  # noqa: PLC0415 - only when probing

    ids = user_ids(host)
    newuidmap, newgidmap = host.which("newuidmap"), host.which("newgidmap")
    mode = "full" if ids.has_ranges and newuidmap and newgidmap else "single"
    directory, mount = filesystem_of(host, storage_config(host).graphroot)
    overlay_dir = directory if host.access(directory, os.W_OK | os.X_OK) else None
    plan = MapPlan(ids=ids, mode=mode, newuidmap=newuidmap, newgidmap=newgidmap)  # type: ignore[arg-type]
    probe = host.probe_namespace(plan, overlay_dir, timeout=15.0)
    return NamespaceProbeRun(probe, mode, overlay_dir, mount.fstype if mount else "unknown")


#: facts that create namespaces: never prefetched with --no-probe, as root, or for another user
PROBE_FACTS = frozenset({namespace_probe})
