"""Network modes, the generated /etc files, and the outbound-network helpers.

Modes (``--network``):

* default (no flag): a private network namespace with ``lo`` up and nothing else; ``-p``
  works through the builtin port forwarder (no tun device needed);
* ``none``: the same namespace, and published ports are discarded with podman's warning;
* ``host``: no network namespace (sysfs then comes from an rbind of the host's ``/sys``);
* ``slirp4netns`` / ``pasta``: the private namespace plus the helper, which gives the
  container outbound connectivity (both need a usable ``/dev/net/tun``); ``-p`` still uses
  the builtin forwarder.
"""

from __future__ import annotations

import contextlib
import os

from rootless.engine.userns import which
from rootless.errors import RootlessError, UsageError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from typing import Any

PRIVATE = "private"
MODES = ("none", "host", "pasta", "slirp4netns")
#: the address slirp4netns gives the container, and its DNS forwarder
SLIRP_IP = "10.0.2.100"
SLIRP_DNS = "10.0.2.3"


class NetworkError(RootlessError):
    exit_code = ExitCode.ENGINE


def parse_network(value: str | None) -> str:
    if value is None or value == "":
        return PRIVATE
    mode, _, opts = value.partition(":")
    if mode not in MODES:
        hint = None
        if mode in ("bridge", "slirp", "default"):
            hint = "rootless has no bridge: leave --network out for a private namespace with -p support"
        raise UsageError(
            f"unsupported --network {value!r}: use one of {', '.join(MODES)}", hint=hint
        )
    if opts:
        raise UsageError(f"--network {mode} takes no options here (got {opts!r})")
    return mode


def own_netns(mode: str) -> bool:
    return mode != "host"


def ports_allowed(mode: str) -> bool:
    return mode not in ("none", "host")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def hosts_file(mode: str, hostname: str, name: str, *, host_hosts: str | None = None) -> str:
    """/etc/hosts for the container (podman writes one too)."""
    if mode == "host":
        text = _read("/etc/hosts") if host_hosts is None else host_hosts
        return text if text.endswith("\n") or not text else text + "\n"
    address = SLIRP_IP if mode == "slirp4netns" else "127.0.1.1"
    names = hostname if hostname == name else f"{hostname} {name}"
    return (
        "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
        "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n"
        f"{address}\t{names}\n"
    )


def resolv_conf(mode: str, *, host_text: str | None = None) -> str:
    """The host's resolv.conf, minus loopback nameservers the container cannot reach (as
    podman does); slirp4netns's DNS forwarder first in that mode."""
    text = _read("/etc/resolv.conf") if host_text is None else host_text
    if mode == "host":
        return text
    out = []
    if mode == "slirp4netns":
        out.append(f"nameserver {SLIRP_DNS}")
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["nameserver"] and len(words) > 1:
            addr = words[1]
            if addr.startswith("127.") or addr == "::1":
                continue
        out.append(line)
    return "\n".join(out) + "\n"


class Helper:
    """A running slirp4netns or pasta process (stopped with :meth:`stop`)."""

    def __init__(self, name: str, pid: int | None, keep_fd: int | None, pidfile: str = "") -> None:
        self.name = name
        self.pid = pid
        self.keep_fd = keep_fd  # slirp4netns exits when this (its --exit-fd peer) closes
        self.pidfile = pidfile

    def stop(self) -> None:
        if self.keep_fd is not None:
            os.close(self.keep_fd)
            self.keep_fd = None
        pid = self.pid
        if pid is None and self.pidfile:
            try:
                pid = int(_read(self.pidfile).strip() or "0") or None
            except ValueError:
                pid = None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 15)
            if self.pid is not None:  # our child: reap it
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
        self.pid = None


def _helper_failed(name: str, log: str, code: int) -> NetworkError:
    text = _read(log).strip()
    lines = [ln for ln in text.splitlines() if not ln.startswith("WARNING:")]
    detail = "; ".join(lines[-3:]) or f"exit status {code}"
    if "/dev/net/tun" in text:
        return NetworkError(
            f"{name} failed: {detail}",
            hint="the unprivileged user cannot open /dev/net/tun (it must exist and be mode 0666); "
            "leave --network out to run with the builtin port forwarder and no outbound network",
            check_id="tun-device",
        )
    return NetworkError(f"{name} failed: {detail}", check_id="network-helper")


def start_helper(mode: str, pid: int, log: str) -> Helper | None:
    """Start the outbound-network helper for the namespace of ``pid`` (C), or None."""
    if mode not in ("slirp4netns", "pasta"):
        return None
    exe = which(mode)
    if exe is None:
        package = "slirp4netns" if mode == "slirp4netns" else "passt"
        raise NetworkError(
            f"--network {mode} needs {mode}, which is not installed (Debian package {package})",
            check_id="network-helper",
        )
    if mode == "slirp4netns":
        return _start_slirp(exe, pid, log)
    return _start_pasta(exe, pid, log)


def _spawn(exe: str, argv: list[str], log: str, extra: list[tuple[int, int]]) -> int:
    actions: list[tuple[Any, ...]] = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    actions += [(os.POSIX_SPAWN_DUP2, src, dst) for src, dst in extra]
    return os.posix_spawn(exe, argv, os.environ, file_actions=actions)


def _start_slirp(exe: str, pid: int, log: str) -> Helper:
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe()
    argv = [
        exe,
        "--configure",
        "--mtu=65520",
        "--disable-host-loopback",
        "--ready-fd=3",
        "--exit-fd=4",
        str(pid),
        "tap0",
    ]
    try:
        child = _spawn(exe, argv, log, [(ready_w, 3), (exit_r, 4)])
    finally:
        os.close(ready_w)
        os.close(exit_r)
    try:
        ready = os.read(ready_r, 1)
    finally:
        os.close(ready_r)
    if ready != b"1":
        os.close(exit_w)
        _, status = os.waitpid(child, 0)
        raise _helper_failed("slirp4netns", log, os.waitstatus_to_exitcode(status))
    return Helper("slirp4netns", child, exit_w)


def _start_pasta(exe: str, pid: int, log: str) -> Helper:
    pidfile = log + ".pid"
    argv = [
        exe,
        "--config-net",
        "--quiet",
        "--pid",
        pidfile,
        "-t",
        "none",
        "-u",
        "none",
        "-T",
        "none",
        "-U",
        "none",
        str(pid),
    ]
    child = _spawn(exe, argv, log, [])
    _, status = os.waitpid(child, 0)  # pasta daemonises once the namespace is configured
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise _helper_failed("pasta", log, code)
    return Helper("pasta", None, None, pidfile)
