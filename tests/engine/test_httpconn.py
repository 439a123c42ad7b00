"""engine/httpconn against a scripted loopback server: framing, keep-alive, cut bodies.

The registry tests exercise the client end to end against docker-registry and the fake
registry, which both frame every answer with Content-Length. The framings and failures
those servers never produce (chunked with extensions and trailers, read-until-close,
interim 1xx, stale keep-alive, cut bodies) are scripted here byte for byte.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from rootless.engine import httpconn
from rootless.engine.httpconn import Connection, IncompleteRead, RemoteDisconnected

#: one step of a connection's script: the bytes to send after reading one request, or
#: CLOSE (close the connection without answering the next request)
CLOSE = b""


@dataclass
class Server:
    port: int
    #: the raw requests, per accepted connection
    connections: list[list[bytes]] = field(default_factory=list)

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


@contextmanager
def scripted(*scripts: list[bytes]) -> Iterator[Server]:
    """A server whose n-th connection answers its requests with ``scripts[n]`` in turn."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    server = Server(listener.getsockname()[1])

    def run() -> None:
        for script in scripts:
            conn, _ = listener.accept()
            seen: list[bytes] = []
            server.connections.append(seen)
            with conn:
                for answer in script:
                    request = _read_request(conn)
                    if not request:
                        break
                    seen.append(request)
                    if answer is CLOSE:
                        break
                    conn.sendall(answer)
                    if b"Connection: close" in answer or b"HTTP/1.0" in answer[:8]:
                        break

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        listener.close()
        thread.join(5)


def ok(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


def get(conn: Connection, target: str = "/v2/", **headers: str) -> httpconn.Response:
    conn.request("GET", target, headers)
    return conn.getresponse()


def test_content_length_bodies_share_one_keep_alive_connection() -> None:
    with scripted([ok(b"first"), ok(b"second body")]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        one = get(conn)
        assert (one.status, one.read()) == (200, b"first")
        assert one.isclosed()
        two = get(conn, "/v2/x/manifests/latest")
        assert two.read(6) + two.read(100) == b"second body"
        assert two.read() == b""
        conn.close()
    assert len(srv.connections) == 1
    first, second = srv.connections[0]
    assert first.startswith(b"GET /v2/ HTTP/1.1\r\n")
    assert f"Host: {srv.netloc}\r\n".encode() in first
    assert b"Accept-Encoding: identity\r\n" in first
    assert second.startswith(b"GET /v2/x/manifests/latest HTTP/1.1\r\n")


def test_chunked_body_with_extensions_and_trailers_read_in_small_pieces() -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n"
        b"1\r\n \r\n"
        b"A\r\n0123456789\r\n"
        b"0\r\nX-Trailer: yes\r\n\r\n"
    )
    with scripted([answer, ok(b"after")]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        resp = get(conn)
        assert resp.chunked
        pieces = []
        while piece := resp.read(3):
            assert len(piece) <= 3
            pieces.append(piece)
        assert b"".join(pieces) == b"hello 0123456789"
        assert resp.isclosed()
        assert get(conn).read() == b"after"  # trailers consumed: the connection is in step
    assert len(srv.connections) == 1


def test_chunked_cut_short_raises_incomplete_read() -> None:
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly-part"
    with scripted([answer]) as srv:
        resp = get(Connection("http", srv.netloc, timeout=5))
        with pytest.raises(IncompleteRead) as err:
            resp.read()
    assert err.value.partial == b"only-part"


def test_bad_chunk_size_is_an_incomplete_read() -> None:
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"
    with scripted([answer]) as srv:
        resp = get(Connection("http", srv.netloc, timeout=5))
        with pytest.raises(IncompleteRead):
            resp.read()


def test_content_length_cut_short_read_raises_and_read_n_returns_what_arrived() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"
    with scripted([cut], [cut]) as srv:
        whole = get(Connection("http", srv.netloc, timeout=5))
        with pytest.raises(IncompleteRead) as err:
            whole.read()
        assert (err.value.partial, err.value.expected) == (b"0123456789", 90)
        assert "90 more expected" in str(err.value)
        parts = get(Connection("http", srv.netloc, timeout=5))
        got = b""
        while piece := parts.read(4):
            got += piece
        assert got == b"0123456789"  # then b"": the caller compares against the length
        assert parts.isclosed()


def test_body_until_close_and_the_next_request_opens_a_new_connection() -> None:
    until_close = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstreamed until the end"
    with scripted([until_close], [ok(b"fresh")]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        resp = get(conn)
        assert resp.length is None
        assert resp.will_close
        assert resp.read() == b"streamed until the end"
        assert conn.sock is None
        assert get(conn).read() == b"fresh"
    assert len(srv.connections) == 2


def test_http_1_0_without_keep_alive_closes() -> None:
    answer = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    with scripted([answer]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        resp = get(conn)
        assert (resp.version, resp.will_close, resp.read()) == (10, True, b"ok")
        assert conn.sock is None


def test_head_204_and_304_have_no_body_whatever_content_length_says() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nDocker-Content-Digest: sha256:ab\r\n\r\n"
    no_content = b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
    not_modified = b"HTTP/1.1 304 Not Modified\r\n\r\n"
    with scripted([head, no_content, not_modified, ok(b"last")]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        conn.request("HEAD", "/v2/x/manifests/1")
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("docker-content-digest") == "sha256:ab"
        assert resp.isclosed()
        assert resp.read() == b""
        assert get(conn).isclosed()
        assert get(conn).status == 304
        assert get(conn).read() == b"last"
    assert len(srv.connections) == 1


def test_interim_answers_are_skipped_and_repeated_headers_joined() -> None:
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
        b"HTTP/1.1 401 Unauthorized\r\n"
        b'WWW-Authenticate: Bearer realm="http://a/token"\r\n'
        b"Warning: one\r\nwarning: two\r\n"
        b"X-Folded: first\r\n  continued\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    with scripted([answer]) as srv:
        resp = get(Connection("http", srv.netloc, timeout=5))
    assert (resp.status, resp.reason) == (401, "Unauthorized")
    assert resp.getheader("Www-Authenticate") == 'Bearer realm="http://a/token"'
    assert resp.getheader("warning") == "one, two"
    assert resp.getheader("x-folded") == "first continued"
    assert resp.getheader("absent", "default") == "default"


def test_a_stale_keep_alive_connection_raises_remote_disconnected() -> None:
    with scripted([ok(b"a"), CLOSE]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        assert get(conn).read() == b"a"
        conn.request("GET", "/v2/")
        with pytest.raises(RemoteDisconnected) as err:
            conn.getresponse()
        assert isinstance(err.value, ConnectionResetError)  # callers retry on this
        assert conn.sock is None


def test_an_answer_closed_unread_forces_a_new_connection() -> None:
    with scripted([ok(b"x" * 50_000)], [ok(b"second")]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        resp = get(conn)
        assert resp.read(10) == b"x" * 10
        resp.close()
        assert get(conn).read() == b"second"
    assert len(srv.connections) == 2


def test_a_request_before_the_last_answer_was_read_reconnects() -> None:
    with scripted([ok(b"unread body")], [ok(b"second")]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        get(conn)  # body left unread
        assert get(conn).read() == b"second"
    assert len(srv.connections) == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"SPDY/3 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 099 Low\r\n\r\n",
    ],
)
def test_bad_status_lines_are_refused(answer: bytes) -> None:
    with scripted([answer]) as srv:
        conn = Connection("http", srv.netloc, timeout=5)
        with pytest.raises(httpconn.BadStatusLine):
            get(conn)
        assert conn.sock is None


def test_header_lines_and_header_count_are_bounded() -> None:
    long_line = b"HTTP/1.1 200 OK\r\nX: " + b"a" * (httpconn.MAX_LINE + 10) + b"\r\n\r\n"
    many = b"HTTP/1.1 200 OK\r\n" + b"X-N: 1\r\n" * (httpconn.MAX_HEADERS + 1) + b"\r\n"
    with scripted([long_line], [many]) as srv:
        with pytest.raises(httpconn.LineTooLong):
            get(Connection("http", srv.netloc, timeout=5))
        with pytest.raises(httpconn.HTTPError, match="more than"):
            get(Connection("http", srv.netloc, timeout=5))


@pytest.mark.parametrize(
    ("name", "value"),
    [("Authorization", "Bearer x\r\nX-Injected: 1"), ("X\nY", "v"), ("", "v"), ("A:B", "v")],
)
def test_header_injection_is_refused_before_anything_is_sent(name: str, value: str) -> None:
    conn = Connection("http", "127.0.0.1:9", timeout=5)
    with pytest.raises(ValueError, match="invalid HTTP header"):
        conn.request("GET", "/v2/", {name: value})
    assert conn.sock is None  # refused before connecting


def test_request_line_injection_is_refused() -> None:
    conn = Connection("http", "127.0.0.1:9", timeout=5)
    with pytest.raises(ValueError, match="request line"):
        conn.request("GET", "/v2/ HTTP/1.1\r\nHost: evil")


@pytest.mark.parametrize(
    ("netloc", "scheme", "expected", "host_header"),
    [
        ("registry.example", "https", ("registry.example", 443), "registry.example"),
        ("registry.example:443", "https", ("registry.example", 443), "registry.example"),
        ("localhost:5000", "http", ("localhost", 5000), "localhost:5000"),
        ("localhost:80", "http", ("localhost", 80), "localhost"),
        ("[::1]:5000", "http", ("::1", 5000), "[::1]:5000"),
        ("[::1]", "https", ("::1", 443), "[::1]"),
    ],
)
def test_netloc_and_host_header(
    netloc: str, scheme: str, expected: tuple[str, int], host_header: str
) -> None:
    assert httpconn.split_netloc(netloc, scheme) == expected
    context = None
    if scheme == "https":
        import ssl

        context = ssl.create_default_context()
    assert Connection(scheme, netloc, timeout=1, context=context)._host_header == host_header


@pytest.mark.parametrize("netloc", ["[::1", "[::1]x", "host:port", "[::1]:x"])
def test_malformed_netlocs_are_refused(netloc: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        httpconn.split_netloc(netloc, "http")


def test_unsupported_scheme_and_https_without_context_are_refused() -> None:
    with pytest.raises(ValueError, match="scheme"):
        Connection("ftp", "x", timeout=1)
    with pytest.raises(ValueError, match="SSL context"):
        Connection("https", "x", timeout=1)


def test_connection_refused_is_an_oserror() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(ConnectionRefusedError):
        get(Connection("http", f"127.0.0.1:{port}", timeout=5))


def _one_shot(reply: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                reply(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_tls_probe_tells_plain_http_from_tls() -> None:
    def plain_http(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    def tls_alert(conn: socket.socket) -> None:
        hello = conn.recv(5)
        assert hello[:1] == b"\x16"  # a handshake record
        conn.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure alert

    def hang_up(conn: socket.socket) -> None:
        conn.recv(4096)

    for reply, expected in ((plain_http, False), (tls_alert, True), (hang_up, True)):
        port, thread = _one_shot(reply)
        assert httpconn.tls_probe(f"127.0.0.1:{port}", 5) is expected
        thread.join(5)


def test_client_hello_is_a_well_formed_tls_record_with_a_line_feed_byte() -> None:
    hello = httpconn._client_hello("registry.example")
    assert hello[:3] == b"\x16\x03\x01"
    assert int.from_bytes(hello[3:5], "big") == len(hello) - 5
    assert hello[5] == 0x01  # ClientHello
    assert int.from_bytes(hello[6:9], "big") == len(hello) - 9
    assert b"registry.example" in hello
    assert b"\n" in hello  # a plain-HTTP server sees a line end and answers
    assert b"127.0.0.1" not in httpconn._client_hello("127.0.0.1")  # no SNI for addresses
