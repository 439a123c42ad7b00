"""Publishing container ports without a tun device: rootlesskit's "builtin" port driver.

* The host side (the CLI, or the ``-d`` supervisor) listens on ``[IP:]HOST``.
* For each accepted connection it asks the helper that lives in the container's network
  namespace (C in engine.md §6, the parent of the container's PID 1) to connect to
  ``127.0.0.1:CONTAINER`` there; the helper passes the connected socket back over a
  ``SOCK_SEQPACKET`` socketpair with ``SCM_RIGHTS``.
* The host side then relays bytes both ways with ``splice(2)`` through a pipe (the data
  never enters Python), and propagates half-close (``shutdown(SHUT_WR)``) like
  rootlesskit's ``CloseWrite``.

Everything runs in one epoll loop (:class:`Loop`), shared with signal forwarding and the
``-d`` log collection.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import socket

from rootless.errors import RootlessError, UsageError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from collections.abc import Callable

_PIPE_SIZE = 1 << 20
#: podman binds a published port on every address when no IP is given
ANY_ADDRESS = "0.0.0.0"  # noqa: S104
_SPLICE_FLAGS = os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK
_EV_IN = select.EPOLLIN | select.EPOLLRDHUP


class PortMapping:
    """One ``-p``: host address and port, container port, protocol (tcp only)."""

    __slots__ = ("container_port", "host_ip", "host_port", "protocol")

    def __init__(
        self, host_ip: str, host_port: int, container_port: int, protocol: str = "tcp"
    ) -> None:
        self.host_ip = host_ip
        self.host_port = host_port
        self.container_port = container_port
        self.protocol = protocol

    def to_dict(self) -> dict[str, object]:
        return {
            "host_ip": self.host_ip,
            "host_port": self.host_port,
            "container_port": self.container_port,
            "protocol": self.protocol,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortMapping) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PortMapping({self.describe()})"

    def describe(self) -> str:
        host = self.host_ip or ANY_ADDRESS
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.host_port}->{self.container_port}/{self.protocol}"


def _port(text: str, spec: str, *, allow_zero: bool = False) -> int:
    if not (text.isascii() and text.isdigit()):
        raise UsageError(f"invalid port {text!r} in -p {spec!r}")
    value = int(text)
    if not (0 if allow_zero else 1) <= value <= 65535:
        raise UsageError(f"port {value} out of range in -p {spec!r}")
    return value


def _range(text: str, spec: str, *, allow_zero: bool = False) -> list[int]:
    lo, dash, hi = text.partition("-")
    if not dash:
        return [_port(text, spec, allow_zero=allow_zero)]
    first, last = _port(lo, spec), _port(hi, spec)
    if last < first:
        raise UsageError(f"invalid port range {text!r} in -p {spec!r}")
    return list(range(first, last + 1))


def parse_publish(spec: str) -> list[PortMapping]:
    """podman's ``-p`` forms: ``CONTAINER``, ``HOST:CONTAINER``, ``IP:HOST:CONTAINER``,
    ``IP::CONTAINER`` (and ``[IPv6]:...``), port ranges of equal length, ``/tcp``.

    A missing or zero host port means "any free port" (chosen when binding).
    """
    body, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto != "tcp":
        raise UsageError(
            f"-p {spec!r}: only tcp ports can be published by the builtin port forwarder"
        )
    host_ip = ""
    if body.startswith("["):
        end = body.find("]")
        if end < 0 or body[end + 1 : end + 2] != ":":
            raise UsageError(f"invalid -p {spec!r}: expected [IPv6]:HOST:CONTAINER")
        host_ip, body = body[1:end], body[end + 2 :]
        parts = body.split(":")
        if len(parts) != 2:
            raise UsageError(f"invalid -p {spec!r}: expected [IPv6]:HOST:CONTAINER")
        host_part, cont_part = parts
    else:
        parts = body.split(":")
        if len(parts) == 1:
            host_part, cont_part = "", parts[0]
        elif len(parts) == 2:
            host_part, cont_part = parts
        elif len(parts) == 3:
            host_ip, host_part, cont_part = parts
        else:
            raise UsageError(f"invalid -p {spec!r}: expected [IP:]HOST:CONTAINER[/tcp]")
    if host_ip:
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host_ip else socket.AF_INET, host_ip)
        except OSError:
            raise UsageError(f"invalid host address {host_ip!r} in -p {spec!r}") from None
    containers = _range(cont_part, spec)
    hosts = _range(host_part, spec, allow_zero=True) if host_part else [0] * len(containers)
    if len(hosts) != len(containers):
        raise UsageError(f"-p {spec!r}: host and container port ranges differ in length")
    return [PortMapping(host_ip, h, c, proto) for h, c in zip(hosts, containers, strict=True)]


class PortInUseError(RootlessError):
    exit_code = ExitCode.ENGINE


def bind_listeners(mappings: list[PortMapping]) -> list[tuple[socket.socket, PortMapping]]:
    """Bind and listen on every host port now, so a taken port fails before anything runs.

    A host port of 0 is replaced by the port the kernel picked.
    """
    out: list[tuple[socket.socket, PortMapping]] = []
    try:
        for m in mappings:
            family = socket.AF_INET6 if ":" in m.host_ip else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            out.append((sock, m))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((m.host_ip or ANY_ADDRESS, m.host_port))
            except OSError as exc:
                raise _bind_error(m, exc) from exc
            sock.listen(128)
            sock.setblocking(False)
            if m.host_port == 0:
                m.host_port = sock.getsockname()[1]
    except BaseException:
        for sock, _ in out:
            sock.close()
        raise
    return out


def _unprivileged_port_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return 1024


def _bind_error(m: PortMapping, exc: OSError) -> RootlessError:
    where = f"{m.host_ip or ANY_ADDRESS}:{m.host_port}"
    if exc.errno == errno.EADDRINUSE:
        return PortInUseError(
            f"cannot publish port {m.host_port}: {where} is already in use on the host",
            hint=f"pick another host port (-p OTHER:{m.container_port}) or stop what listens there",
            check_id="published-ports",
        )
    if exc.errno == errno.EACCES and m.host_port < _unprivileged_port_start():
        return PortInUseError(
            f"cannot publish port {m.host_port}: ports below "
            f"{_unprivileged_port_start()} need privileges on this host "
            "(net.ipv4.ip_unprivileged_port_start)",
            hint="use a host port >= 1024, or lower net.ipv4.ip_unprivileged_port_start",
            check_id="unprivileged-ports",
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return PortInUseError(
            f"cannot publish port {m.host_port}: {m.host_ip} is not an address of this host",
        )
    return PortInUseError(f"cannot listen on {where}: {exc.strerror}")


# --------------------------------------------------------------------------------------
# The event loop


class Loop:
    """A minimal level-triggered epoll dispatcher: fd -> handler(events)."""

    def __init__(self) -> None:
        self.epoll = select.epoll()
        self.handlers: dict[int, Callable[[int], None]] = {}
        self.masks: dict[int, int] = {}

    def set(self, fd: int, mask: int, handler: Callable[[int], None]) -> None:
        """Watch ``fd`` for ``mask`` (0 = keep the handler, stop watching)."""
        self.handlers[fd] = handler
        old = self.masks.get(fd)
        if old == mask:
            return
        if old is None:
            self.epoll.register(fd, mask)
        else:
            self.epoll.modify(fd, mask)
        self.masks[fd] = mask

    def remove(self, fd: int) -> None:
        if self.masks.pop(fd, None) is not None:
            with contextlib.suppress(OSError, ValueError):
                self.epoll.unregister(fd)
        self.handlers.pop(fd, None)

    def run_once(self, timeout: float | None = None) -> None:
        try:
            events = self.epoll.poll(-1 if timeout is None else timeout)
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            return
        for fd, ev in events:
            handler = self.handlers.get(fd)
            if handler is not None and fd in self.masks:
                handler(ev)

    def close(self) -> None:
        self.epoll.close()


# --------------------------------------------------------------------------------------
# Relay: two sockets, two pipes, splice


def _new_pipe() -> tuple[int, int]:
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    return r, w


class _Direction:
    __slots__ = ("done", "dst", "eof", "pending", "r", "size", "src", "w")

    def __init__(self, src: socket.socket, dst: socket.socket) -> None:
        self.src = src
        self.dst = dst
        self.r, self.w = _new_pipe()
        self.size = fcntl.fcntl(self.w, fcntl.F_GETPIPE_SZ)
        self.pending = 0  # bytes sitting in the pipe
        self.eof = False
        self.done = False

    def wants_read(self) -> bool:
        return not self.eof and self.pending < self.size

    def wants_write(self) -> bool:
        return self.pending > 0

    def pump(self) -> None:
        """Move what is readable into the pipe and on to the destination."""
        while self.wants_read():
            try:
                n = os.splice(
                    self.src.fileno(), self.w, self.size - self.pending, flags=_SPLICE_FLAGS
                )
            except BlockingIOError:
                break
            if n == 0:
                self.eof = True
                break
            self.pending += n
            if not self.flush():
                break
        self.flush()

    def flush(self) -> bool:
        """Write the pipe out; True when it is empty afterwards."""
        while self.pending:
            try:
                n = os.splice(self.r, self.dst.fileno(), self.pending, flags=_SPLICE_FLAGS)
            except BlockingIOError:
                return False
            self.pending -= n
        if self.eof and not self.done:
            self.done = True
            with contextlib.suppress(OSError):
                self.dst.shutdown(socket.SHUT_WR)
        return True

    def close(self) -> None:
        os.close(self.r)
        os.close(self.w)


class Relay:
    """Bytes both ways between a host client and the container's socket."""

    def __init__(self, loop: Loop, a: socket.socket, b: socket.socket) -> None:
        self.loop = loop
        self.a, self.b = a, b
        a.setblocking(False)
        b.setblocking(False)
        self.ab = _Direction(a, b)
        self.ba = _Direction(b, a)
        self.closed = False
        self._ha = self._handler(a, self.ab, self.ba)
        self._hb = self._handler(b, self.ba, self.ab)
        self._update()

    def _handler(
        self, sock: socket.socket, reading: _Direction, writing: _Direction
    ) -> Callable[[int], None]:
        def on_event(ev: int) -> None:
            if ev & select.EPOLLERR:
                self.close()
                return
            try:
                if ev & select.EPOLLOUT:
                    writing.flush()
                if ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLRDHUP):
                    reading.pump()
            except OSError:  # ECONNRESET, EPIPE: the connection is over
                self.close()
                return
            self._update()

        return on_event

    def _update(self) -> None:
        if self.closed:
            return
        if self.ab.done and self.ba.done:
            self.close()
            return
        for sock, reading, writing, handler in (
            (self.a, self.ab, self.ba, self._ha),
            (self.b, self.ba, self.ab, self._hb),
        ):
            mask = (_EV_IN if reading.wants_read() else 0) | (
                select.EPOLLOUT if writing.wants_write() else 0
            )
            if mask:
                self.loop.set(sock.fileno(), mask, handler)
            else:  # nothing to do on it for now (and no EPOLLHUP spinning)
                self.loop.remove(sock.fileno())

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock in (self.a, self.b):
            self.loop.remove(sock.fileno())
            sock.close()
        self.ab.close()
        self.ba.close()


# --------------------------------------------------------------------------------------
# Host side: accept, ask the helper, relay


class Forwarder:
    """Listens on the host ports and relays each connection into the container."""

    def __init__(
        self,
        loop: Loop,
        listeners: list[tuple[socket.socket, PortMapping]],
        helper: socket.socket,
    ) -> None:
        self.loop = loop
        self.listeners = listeners
        self.helper = helper
        self.pending: list[socket.socket] = []  # clients waiting for the helper's reply
        self.relays: set[Relay] = set()
        helper.setblocking(False)
        for sock, m in listeners:
            loop.set(sock.fileno(), select.EPOLLIN, self._acceptor(sock, m))
        loop.set(helper.fileno(), select.EPOLLIN, self._on_reply)

    def _acceptor(self, listener: socket.socket, m: PortMapping) -> Callable[[int], None]:
        def on_accept(_ev: int) -> None:
            while True:
                try:
                    client, _ = listener.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:  # EMFILE and friends: drop this one, keep serving
                    return
                try:
                    self.helper.send(b"%d" % m.container_port)
                except OSError:
                    client.close()
                    return
                self.pending.append(client)

        return on_accept

    def _on_reply(self, _ev: int) -> None:
        while self.pending:
            try:
                msg, fds, _flags, _addr = socket.recv_fds(self.helper, 64, 1)
            except BlockingIOError:
                return
            except OSError:
                msg, fds = b"", []
            client = self.pending.pop(0)
            if not msg:  # the helper is gone: the container ended
                client.close()
                for fd in fds:
                    os.close(fd)
                self.loop.remove(self.helper.fileno())
                while self.pending:
                    self.pending.pop().close()
                return
            if msg == b"ok" and fds:
                inner = socket.socket(fileno=fds[0])
                relay = Relay(self.loop, client, inner)
                self.relays.add(relay)
                if len(self.relays) > 64:
                    self.relays = {r for r in self.relays if not r.closed}
            else:
                client.close()  # the container refused: close, as rootlesskit does
                for fd in fds:
                    os.close(fd)

    def close(self) -> None:
        for sock, _ in self.listeners:
            self.loop.remove(sock.fileno())
            sock.close()
        self.loop.remove(self.helper.fileno())
        for client in self.pending:
            client.close()
        self.pending.clear()
        for relay in list(self.relays):
            relay.close()
        self.relays.clear()


# --------------------------------------------------------------------------------------
# Container side: the helper in the container's network namespace


def serve_request(helper: socket.socket) -> bool:
    """Answer one request (blocking); False when the host side has gone away."""
    try:
        msg = helper.recv(64)
    except InterruptedError:  # pragma: no cover
        return True
    except OSError:
        return False
    if not msg:
        return False
    try:
        port = int(msg)
    except ValueError:
        return True
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        conn.settimeout(10)
        conn.connect(("127.0.0.1", port))
        socket.send_fds(helper, [b"ok"], [conn.fileno()])
    except OSError as exc:
        try:
            helper.send(b"E%d" % (exc.errno or 0))
        except OSError:
            return False
    finally:
        conn.close()
    return True
