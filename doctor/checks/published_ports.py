"""`published-ports`: the host ports about to be published are free, and rootful Docker's
docker-proxy holds none of them.

Publishing ``-p 8080:80`` means listening on 8080 on the host. The ports come from the
caller: ``rootless doctor --port 8080`` (or ``ctx.params["ports"]``, which is how
``rootless verify`` asks about the port it publishes). Without ports, the check still looks
for ports held by Docker's ``docker-proxy`` - containers of the root daemon still running
after a migration hold exactly the ports their rootless replacements will want.

Listening sockets come from ``/proc/net/tcp`` and ``/proc/net/tcp6`` (state 0A), which name
the owner's uid but not the process; ``docker-proxy`` processes are matched by their command
line (``-host-ip``/``-host-port``), readable by every user.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import NamedTuple

from rootless.doctor.common import fix, note, step
from rootless.doctor.facts import sysctl_live
from rootless.doctor.host import Host
from rootless.doctor.model import Assessment, Fix, Outcome, skip
from rootless.doctor.registry import check
from rootless.doctor.runner import Context

DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
LISTEN = "0A"
_WILDCARDS = ("0.0.0.0", "::")  # noqa: S104 - addresses we compare with, not bind to


class PortSpec(NamedTuple):
    """A host port to publish: ``ip`` empty means every IPv4 address (podman's default)."""

    ip: str
    port: int

    @property
    def address(self) -> str:
        ip = self.ip or "0.0.0.0"  # noqa: S104
        return f"[{ip}]:{self.port}" if ":" in ip else f"{ip}:{self.port}"


class Listener(NamedTuple):
    """One listening TCP socket of /proc/net/tcp{,6}."""

    ip: str
    port: int
    uid: int
    v6: bool

    @property
    def address(self) -> str:
        return f"[{self.ip}]:{self.port}" if self.v6 else f"{self.ip}:{self.port}"


class Proxy(NamedTuple):
    """A docker-proxy process: rootful Docker publishing ``ip:port`` for a container."""

    pid: int
    ip: str
    port: int
    target: str


def parse_port(text: object) -> PortSpec:
    """``PORT``, ``IP:PORT`` or ``[IPv6]:PORT`` (what ``-p`` puts before the container port).

    Raises ValueError with a message for the user."""
    import ipaddress  # noqa: PLC0415 - only when ports are given

    raw = str(text).strip()
    ip, port_text = "", raw
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0 or raw[end + 1 : end + 2] != ":":
            raise ValueError(f"invalid port {raw!r}: expected [IPv6]:PORT")
        ip, port_text = raw[1:end], raw[end + 2 :]
    elif raw.count(":") == 1:
        ip, port_text = raw.split(":")
    elif ":" in raw:
        raise ValueError(f"invalid port {raw!r}: write IPv6 addresses as [IPv6]:PORT")
    if ip:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            raise ValueError(f"invalid port {raw!r}: {ip!r} is not an IP address") from None
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"invalid port {raw!r}: expected a port number from 1 to 65535")
    return PortSpec(ip, int(port_text))


def _hex_address(text: str) -> str:
    """/proc/net/tcp prints each 32-bit word of the address in the kernel's byte order."""
    import ipaddress  # noqa: PLC0415

    raw = b"".join(
        int(text[i : i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(text), 8)
    )
    addr = ipaddress.ip_address(raw)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def parse_proc_net_tcp(text: str, *, v6: bool) -> list[Listener]:
    """Listening sockets of a /proc/net/tcp or /proc/net/tcp6 text (malformed lines skipped)."""
    out: list[Listener] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8 or fields[3] != LISTEN:
            continue
        addr, _, port_hex = fields[1].partition(":")
        try:
            out.append(Listener(_hex_address(addr), int(port_hex, 16), int(fields[7]), v6))
        except ValueError:
            continue
    return out


def listeners(host: Host) -> list[Listener]:
    found: list[Listener] = []
    for path, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        found += parse_proc_net_tcp(host.read_text(path) or "", v6=v6)
    return found


def _flag(argv: tuple[str, ...], name: str) -> str:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return ""


def docker_proxies(host: Host) -> list[Proxy]:
    """docker-proxy processes (only looked for when a Docker socket exists: listing processes
    costs a psutil import)."""
    if not any(host.exists(p) for p in DOCKER_SOCKETS):
        return []
    out: list[Proxy] = []
    for proc in host.processes():
        if proc.name != "docker-proxy":
            continue
        info = host.process(proc.pid)
        argv = info.cmdline if info is not None else proc.cmdline
        port = _flag(argv, "-host-port")
        if _flag(argv, "-proto") not in ("", "tcp") or not port.isdigit():
            continue
        target = f"{_flag(argv, '-container-ip')}:{_flag(argv, '-container-port')}"
        out.append(Proxy(proc.pid, _flag(argv, "-host-ip") or "0.0.0.0", int(port), target))  # noqa: S104
    return out


def conflicts(want: PortSpec, ip: str, v6: bool) -> bool:
    """Would binding ``want`` fail because something listens on ``ip`` (same port)?"""
    mine = want.ip or "0.0.0.0"  # noqa: S104
    mine_v6 = ":" in mine
    if mine_v6 == v6:
        return mine == ip or mine in _WILDCARDS or ip in _WILDCARDS
    # across families only a dual-stack [::] socket collides (with any IPv4 address)
    return (v6 and ip == "::") or (mine_v6 and mine == "::")


def _owner(host: Host, uid: int) -> str:
    if uid == host.uid:
        return f"you ({host.user}, uid {uid})"
    name = next((a.name for a in host.accounts() if a.uid == uid), None)
    return f"{name} (uid {uid})" if name else f"uid {uid}"


def _stop_docker() -> Fix:
    return fix(
        step(
            "disable-docker",
            "stop and disable the rootful Docker daemon (after the migration)",
            part="root",
            effect="now",
        )
    )


@check(
    "published-ports",
    "Host ports to publish are free",
    why=(
        "Publishing `-p 8080:80` means listening on host port 8080. When something already "
        "listens there - often Docker's docker-proxy for a container of the root daemon that "
        "still runs after the migration - the rootless container fails to start: `rootlessport "
        "listen tcp 0.0.0.0:8080: bind: address already in use` (pasta: `Failed to bind port "
        "8080 (Address already in use)`). Name the ports with `rootless doctor --port 8080`."
    ),
    templates=("disable-docker", "note"),
)
def check_published_ports(ctx: Context) -> Outcome:
    host = ctx.host
    wanted: list[PortSpec] = []
    invalid: list[str] = []
    for item in _param_ports(ctx.params.get("ports")):
        try:
            wanted.append(parse_port(item))
        except ValueError as exc:
            invalid.append(str(exc))
    proxies = docker_proxies(host)
    docker = any(host.exists(p) for p in DOCKER_SOCKETS)
    if not wanted and not invalid and not docker:
        return skip(
            "not applicable: no port given (rootless doctor --port 8080) and no rootful Docker "
            "daemon could hold one"
        )
    a = Assessment()
    for message in invalid:
        a.fail(message)
    a.data["ports"] = [w.address for w in wanted]
    a.data["docker_proxy"] = [
        {"pid": p.pid, "address": f"{p.ip}:{p.port}", "container": p.target} for p in proxies
    ]
    socks = listeners(host) if wanted else []
    start_text = sysctl_live(host, "net.ipv4.ip_unprivileged_port_start") if wanted else None
    start = int(start_text) if start_text and start_text.isdigit() else None
    for want in wanted:
        holders = [s for s in socks if s.port == want.port and conflicts(want, s.ip, s.v6)]
        by_docker = [p for p in proxies if p.port == want.port and conflicts(want, p.ip, False)]
        if by_docker:
            p = by_docker[0]
            a.fail(
                f"{want.address} is taken by rootful Docker: docker-proxy (pid {p.pid}) publishes "
                f"{p.ip}:{p.port} for the container at {p.target}",
                _stop_docker(),
            )
        elif holders:
            h = holders[0]
            a.fail(
                f"{want.address} is taken: {h.address} is already listening (a socket of "
                f"{_owner(host, h.uid)}); publishing there fails with `address already in use`",
                fix(
                    note(
                        f"publish on another host port (-p OTHER:CONTAINER), or stop the program "
                        f"listening on {h.address} (as root, `ss -ltnp 'sport = :{want.port}'` "
                        "names it)",
                        part="user",
                    )
                ),
            )
        elif start is not None and want.port < start:
            a.fail(
                f"{want.address} is free, but ports below {start} need privileges "
                "(net.ipv4.ip_unprivileged_port_start): publishing it rootless fails with "
                "Permission denied",
                fix(
                    note(
                        "lower net.ipv4.ip_unprivileged_port_start: see `rootless doctor unprivileged-ports`"
                    )
                ),
            )
        else:
            a.ok(f"{want.address} is free")
    for p in proxies:
        if any(p.port == w.port for w in wanted):
            continue
        a.warn(
            f"rootful Docker still publishes {p.ip}:{p.port} (docker-proxy pid {p.pid}, container "
            f"{p.target}): `podman run -p {p.port}:...` fails with `address already in use` "
            "until that container stops",
            _stop_docker(),
        )
    if wanted and not invalid:
        summary = ", ".join(w.address for w in wanted) + (
            " is free" if len(wanted) == 1 else " are free"
        )
    elif not wanted:
        summary = "no rootful Docker container holds a host port"
    else:
        summary = "the ports are free"
    return a.outcome(summary)


def _param_ports(value: object) -> list[object]:
    """``params["ports"]``: one ``[IP:]PORT`` (str or int) or a list of them."""
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]
