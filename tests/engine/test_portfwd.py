"""The builtin port forwarder: -p parsing, binding errors, and the splice relay with real
sockets (the in-namespace helper runs in a thread here; the end-to-end path through a
container is in test_run.py)."""

from __future__ import annotations

import hashlib
import os
import socket
import threading

import pytest

from rootless.engine.portfwd import (
    Forwarder,
    Loop,
    PortInUseError,
    PortMapping,
    bind_listeners,
    parse_publish,
    serve_request,
)
from rootless.errors import UsageError


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("8080:80", [PortMapping("", 8080, 80)], id="host-and-container"),
        pytest.param("127.0.0.1:8080:80", [PortMapping("127.0.0.1", 8080, 80)], id="with-ip"),
        pytest.param("127.0.0.1::80", [PortMapping("127.0.0.1", 0, 80)], id="ip-and-any-host-port"),
        pytest.param("80", [PortMapping("", 0, 80)], id="container-port-only"),
        pytest.param("8080:80/tcp", [PortMapping("", 8080, 80)], id="explicit-tcp"),
        pytest.param("[::1]:8080:80", [PortMapping("::1", 8080, 80)], id="ipv6-in-brackets"),
        pytest.param(
            "9000-9001:80-81",
            [PortMapping("", 9000, 80), PortMapping("", 9001, 81)],
            id="ranges",
        ),
    ],
)
def test_publish_forms(spec: str, expected: list[PortMapping]) -> None:
    assert parse_publish(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("8080:80/udp", "only tcp", id="udp-refused"),
        pytest.param("1:2:3:4", "expected", id="too-many-parts"),
        pytest.param("x:80", "invalid port 'x'", id="not-a-number"),
        pytest.param("8080:70000", "out of range", id="out-of-range"),
        pytest.param("9000-9002:80-81", "differ in length", id="unequal-ranges"),
        pytest.param("300.1.1.1:80:80", "invalid host address", id="bad-ip"),
    ],
)
def test_bad_publish_specs(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_publish(spec)


def test_a_taken_port_is_reported_with_the_check_id() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match="already in use") as info:
            bind_listeners([PortMapping("127.0.0.1", port, 80)])
    assert info.value.check_id == "published-ports"  # its finding names the holder
    assert info.value.hint is not None
    assert "pick another host port" in info.value.hint
    assert info.value.exit_code == 125


def test_port_zero_gets_a_real_port() -> None:
    m = PortMapping("127.0.0.1", 0, 80)
    listeners = bind_listeners([m])
    try:
        assert m.host_port == listeners[0][0].getsockname()[1] > 0
    finally:
        for sock, _ in listeners:
            sock.close()


def _checksum_server(listener: socket.socket) -> None:
    """Reads until EOF (needs the relay's half-close), answers with the sha256, echoes
    the size, closes."""
    conn, _ = listener.accept()
    with conn:
        digest = hashlib.sha256()
        size = 0
        while data := conn.recv(1 << 16):
            digest.update(data)
            size += len(data)
        conn.sendall(f"{size} {digest.hexdigest()}\n".encode())


class _Setup:
    def __init__(self, target_port: int) -> None:
        self.loop = Loop()
        self.host_side, self.helper_side = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.mapping = PortMapping("127.0.0.1", 0, target_port)
        self.listeners = bind_listeners([self.mapping])
        self.forwarder = Forwarder(self.loop, self.listeners, self.host_side)
        self.stop = threading.Event()
        self.helper = threading.Thread(target=self._helper, daemon=True)
        self.helper.start()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _helper(self) -> None:  # plays C: connect inside, pass the fd back
        while serve_request(self.helper_side):
            pass

    def _pump(self) -> None:
        while not self.stop.is_set():
            self.loop.run_once(0.05)

    def close(self) -> None:
        self.stop.set()
        self.pump.join()
        self.forwarder.close()
        self.host_side.close()  # EOF for the helper
        self.helper.join()
        self.helper_side.close()
        self.loop.close()


def test_relay_moves_data_both_ways_and_propagates_half_close() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    worker = threading.Thread(target=_checksum_server, args=(server,))
    worker.start()
    setup = _Setup(server.getsockname()[1])
    try:
        payload = os.urandom(8 * 1024 * 1024 + 123)
        with socket.create_connection(("127.0.0.1", setup.mapping.host_port)) as client:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            reply = b""
            while data := client.recv(4096):
                reply += data
        assert reply.decode() == f"{len(payload)} {hashlib.sha256(payload).hexdigest()}\n"
    finally:
        worker.join()
        setup.close()
        server.close()


def test_a_refused_connection_inside_closes_the_client() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    setup = _Setup(dead_port)
    try:
        with socket.create_connection(("127.0.0.1", setup.mapping.host_port)) as client:
            client.settimeout(30)
            assert client.recv(10) == b""  # closed, as rootlesskit does
    finally:
        setup.close()
