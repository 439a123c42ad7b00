"""A small HTTP/1.1 client connection for the registry client (instead of ``http.client``).

``http.client`` imports ``email`` (parser, message, utils → datetime, calendar, locale,
random, urllib) and ``ssl`` at import time: ~40 ms of CPU here, more than a small image's
whole download. A registry client needs far less of HTTP: one request at a time on a
keep-alive connection, ``Content-Length``, ``chunked`` and read-until-close bodies, and a
few headers. This module does exactly that, over ``_socket`` (the :mod:`socket` module
builds enum classes for every constant at import), importing :mod:`socket` and :mod:`ssl`
only for ``https`` connections.

Behaviour kept from ``http.client`` (the registry client relies on it):

* ``Host`` (without the scheme's default port) and ``Accept-Encoding: identity`` are sent;
  header names and values containing CR, LF or NUL are refused (no header injection from
  a hostile realm or redirect);
* 1xx interim answers are skipped; status lines, header lines (64 KiB) and the number of
  headers (100) are bounded; repeated headers are joined with ``", "``;
* ``read(n)`` of a ``Content-Length`` body cut short returns what arrived (then ``b""``),
  ``read()`` raises :class:`IncompleteRead`, a cut ``chunked`` body raises
  :class:`IncompleteRead`; a server that closed a kept-alive connection before answering
  raises :class:`RemoteDisconnected` (a :class:`ConnectionResetError`);
* a connection is reused only after its previous answer was read to the end; a response
  closed early closes the socket, so the next request opens a fresh one.

:func:`tls_probe` tells a TLS server from a plain-HTTP one without :mod:`ssl` (see there).
"""

from __future__ import annotations

import _socket
import contextlib
import io
import os

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the pull's hot path
if TYPE_CHECKING:
    import socket
    import ssl
    from collections.abc import Mapping
    from typing import NoReturn

MAX_LINE = 65536
MAX_HEADERS = 100
_DEFAULT_PORTS = {"http": 80, "https": 443}


class HTTPError(Exception):
    """A malformed or cut-short HTTP exchange (``http.client.HTTPException``)."""


class BadStatusLine(HTTPError):
    pass


class LineTooLong(HTTPError):
    pass


class IncompleteRead(HTTPError):
    def __init__(self, partial: bytes, expected: int | None = None) -> None:
        super().__init__(partial, expected)
        self.partial = partial
        self.expected = expected

    def __str__(self) -> str:
        more = f", {self.expected} more expected" if self.expected is not None else ""
        return f"IncompleteRead({len(self.partial)} bytes read{more})"


class RemoteDisconnected(ConnectionResetError, BadStatusLine):
    """The server closed the connection without answering (a stale keep-alive)."""


def split_netloc(netloc: str, scheme: str) -> tuple[str, int]:
    """``host[:port]`` (IPv6 in brackets) → (host without brackets, port)."""
    default = _DEFAULT_PORTS[scheme]
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise ValueError(f"invalid IPv6 address in {netloc!r}")
        host, rest = netloc[1:end], netloc[end + 1 :]
        if not rest:
            return host, default
        if not rest.startswith(":") or not rest[1:].isdigit():
            raise ValueError(f"invalid port in {netloc!r}")
        return host, int(rest[1:])
    host, sep, port = netloc.rpartition(":")
    if not sep:
        return netloc, default
    if not port:
        return host, default
    if not port.isdigit():
        raise ValueError(f"invalid port in {netloc!r}")
    return host, int(port)


def _connect(host: str, port: int, timeout: float) -> _socket.socket:
    """``socket.create_connection`` on ``_socket``: each address in turn, the last error."""
    # a bytes host: a str one makes getaddrinfo import the idna codec (stringprep, unicodedata)
    addr: str | bytes = host.encode("ascii") if host.isascii() else host
    last: OSError | None = None
    for family, kind, proto, _, sockaddr in _socket.getaddrinfo(addr, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        with contextlib.suppress(OSError):  # requests are small: no Nagle delay
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        return sock
    raise last or OSError(f"getaddrinfo returned no address for {host}")


class _SocketReader(io.RawIOBase):
    """The raw stream under the connection's buffered reader (``socket.SocketIO``)."""

    def __init__(self, sock: _socket.socket | socket.socket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)


def _check_header(name: str, value: str) -> None:
    for text in (name, value):
        if "\r" in text or "\n" in text or "\0" in text:
            raise ValueError(f"invalid HTTP header {name!r}: {value!r}")
    if not name or ":" in name or " " in name:
        raise ValueError(f"invalid HTTP header name {name!r}")


class Response:
    """One answer; its body is read with :meth:`read` (bounded by the framing)."""

    def __init__(self, conn: Connection, method: str) -> None:
        self._conn = conn
        self._fp = conn._fp
        self.status = 0
        self.reason = ""
        self.version = 11
        self._headers: list[tuple[str, str]] = []
        self.will_close = False
        self.chunked = False
        self.length: int | None = None  # body bytes left (Content-Length framing)
        self._chunk_left: int | None = None  # bytes left in the current chunk
        self._done = False
        self._begin(method)

    # ------------------------------------------------------------------ head
    def _line(self) -> bytes:
        assert self._fp is not None
        line = self._fp.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise LineTooLong("header line")
        return line

    def _begin(self, method: str) -> None:
        while True:
            line = self._line()
            if not line:
                raise RemoteDisconnected("Remote end closed connection without response")
            text = line.decode("iso-8859-1").rstrip("\r\n")
            version, _, rest = text.partition(" ")
            code, _, reason = rest.partition(" ")
            if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
                raise BadStatusLine(repr(text))
            status = int(code)
            if status < 100:
                raise BadStatusLine(repr(text))
            headers = self._read_headers()
            if 100 <= status < 200 and status != 101:
                continue  # interim answer (100 Continue, 103 Early Hints): the real one follows
            break
        self.status, self.reason, self._headers = status, reason.strip(), headers
        self.version = 10 if version == "HTTP/1.0" else 11
        connection = (self.getheader("Connection") or "").lower()
        if self.version == 10:
            self.will_close = "keep-alive" not in connection
        else:
            self.will_close = "close" in connection
        encoding = (self.getheader("Transfer-Encoding") or "").lower()
        self.chunked = encoding.rsplit(",", 1)[-1].strip() == "chunked"
        length = None
        if not self.chunked:
            value = self.getheader("Content-Length")
            if value is not None:
                try:
                    length = int(value.split(",")[0].strip())
                except ValueError:
                    length = None
                if length is not None and length < 0:
                    length = None
        if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
            length = 0
            self.chunked = False
        if not self.chunked and length is None:
            self.will_close = True  # the body runs until the server closes
        self.length = length
        if length == 0:
            self._finish()

    def _read_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        while True:
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                return headers
            if len(headers) >= MAX_HEADERS:
                raise HTTPError(f"got more than {MAX_HEADERS} headers")
            text = line.decode("iso-8859-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and headers:  # obsolete line folding
                name, value = headers[-1]
                headers[-1] = (name, f"{value} {text.strip()}")
                continue
            name, sep, value = text.partition(":")
            if sep:
                headers.append((name.strip().lower(), value.strip()))

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """The header's value (repeated headers joined with ``", "``), else ``default``."""
        key = name.lower()
        values = [v for k, v in self._headers if k == key]
        return ", ".join(values) if values else default

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self._headers)

    # ------------------------------------------------------------------ body
    def read(self, amt: int | None = None) -> bytes:
        """Up to ``amt`` bytes of the body (all of it without ``amt``); ``b""`` at its end."""
        if self._done or self._fp is None:
            return b""
        if amt is not None and amt < 0:
            amt = None
        if self.chunked:
            return self._read_chunked(amt)
        fp = self._fp
        if self.length is None:  # until the server closes
            data = fp.read() if amt is None else fp.read(amt)
            if amt is None or not data:
                self._finish()
            return data
        if amt is None:
            data = fp.read(self.length)
            if len(data) < self.length:
                self._conn.close()
                self._done = True
                raise IncompleteRead(data, self.length - len(data))
            self.length = 0
            self._finish()
            return data
        data = fp.read(min(amt, self.length))
        if not data and amt:
            # cut short: like http.client, read(n) gives b"" (read() raises IncompleteRead)
            self._conn.close()
            self._done = True
            return b""
        self.length -= len(data)
        if not self.length:
            self._finish()
        return data

    def _read_chunked(self, amt: int | None) -> bytes:
        assert self._fp is not None
        fp = self._fp
        out: list[bytes] = []
        want = amt
        while want is None or want > 0:
            if not self._chunk_left:
                if self._chunk_left == 0:
                    self._exact(2)  # the CRLF after a chunk's data
                line = self._line()
                if not line:
                    self._cut(b"".join(out))
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    self._conn.close()
                    raise IncompleteRead(b"".join(out)) from None
                if size < 0:
                    self._conn.close()
                    raise IncompleteRead(b"".join(out))
                if size == 0:
                    self._read_headers()  # trailers
                    self._finish()
                    break
                self._chunk_left = size
            take = self._chunk_left if want is None else min(want, self._chunk_left)
            data = fp.read(take)
            if len(data) < take:
                self._cut(b"".join(out) + data)
            out.append(data)
            self._chunk_left -= len(data)
            if want is not None:
                want -= len(data)
        return b"".join(out)

    def _exact(self, n: int) -> bytes:
        assert self._fp is not None
        data = self._fp.read(n)
        if len(data) < n:
            self._cut(b"")
        return data

    def _cut(self, partial: bytes) -> NoReturn:
        self._conn.close()
        self._done = True
        raise IncompleteRead(partial)

    def _finish(self) -> None:
        """The body is complete: the connection may carry the next request."""
        self._done = True
        if self._conn._response is self:
            self._conn._response = None
            if self.will_close:
                self._conn.close()

    def isclosed(self) -> bool:
        return self._done

    def close(self) -> None:
        """Done with this answer; unread body bytes make the connection unusable: close it."""
        if not self._done:
            self._done = True
            self._conn.close()


class Connection:
    """One keep-alive connection to ``netloc`` over ``scheme`` (``http`` or ``https``)."""

    def __init__(
        self,
        scheme: str,
        netloc: str,
        *,
        timeout: float,
        context: ssl.SSLContext | None = None,
    ) -> None:
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"unsupported URL scheme {scheme!r}")
        if scheme == "https" and context is None:
            raise ValueError("an https connection needs an SSL context")
        self.scheme = scheme
        self.netloc = netloc
        self.host, self.port = split_netloc(netloc, scheme)
        self.timeout = timeout
        self.context = context
        self.sock: _socket.socket | socket.socket | None = None
        self._fp: io.BufferedReader | None = None
        self._response: Response | None = None
        self._pending = "GET"
        default = self.port == _DEFAULT_PORTS[scheme]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._host_header = host if default else f"{host}:{self.port}"

    def connect(self) -> None:
        raw = _connect(self.host, self.port, self.timeout)
        sock: _socket.socket | socket.socket = raw
        if self.scheme == "https":
            import socket  # noqa: PLC0415 - ssl wraps socket.socket objects only

            assert self.context is not None
            try:
                plain = socket.socket(raw.family, raw.type, raw.proto, fileno=raw.detach())
            except BaseException:
                raw.close()
                raise
            try:
                sock = self.context.wrap_socket(plain, server_hostname=self.host)
            except BaseException:
                plain.close()
                raise
        self.sock = sock
        self._fp = io.BufferedReader(_SocketReader(sock))

    def close(self) -> None:
        fp, sock = self._fp, self.sock
        self._fp = self.sock = None
        self._response = None
        if fp is not None:
            fp.close()
        if sock is not None:
            sock.close()

    def request(self, method: str, target: str, headers: Mapping[str, str] | None = None) -> None:
        """Send a request without a body."""
        if self._response is not None:  # the last answer was not read to its end
            self.close()
        lines = [f"{method} {target} HTTP/1.1"]
        given = {k.lower() for k in headers or ()}
        if "host" not in given:
            lines.append(f"Host: {self._host_header}")
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: identity")
        for name, value in (headers or {}).items():
            _check_header(name, str(value))
            lines.append(f"{name}: {value}")
        for text in (method, target):
            if any(c in text for c in " \r\n\0"):
                raise ValueError(f"invalid request line part {text!r}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        try:
            self.sock.sendall(data)
        except BaseException:
            self.close()
            raise
        self._pending = method

    def getresponse(self) -> Response:
        """The answer to the last request (its head read, its body not yet)."""
        if self._fp is None:
            raise RemoteDisconnected("the connection is closed")
        try:
            resp = Response(self, self._pending)
        except BaseException:
            self.close()
            raise
        if not resp.isclosed():
            self._response = resp
        elif resp.will_close:
            self.close()
        return resp


# --------------------------------------------------------------------------------------
# telling TLS from plain HTTP without the ssl module


def _client_hello(server_name: str) -> bytes:
    """A TLS 1.3/1.2 ClientHello as common clients send it (any TLS server answers it with a
    ServerHello or an alert). It always holds a ``0x0a`` byte (the supported_groups
    extension type): a plain-HTTP server sees a line end and answers 400."""

    def u16(n: int) -> bytes:
        return n.to_bytes(2, "big")

    def ext(kind: int, body: bytes) -> bytes:
        return u16(kind) + u16(len(body)) + body

    suites = bytes.fromhex(
        "130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f0035"
    )  # TLS 1.3 AEADs, ECDHE GCM/ChaCha20, ECDHE CBC, RSA GCM/CBC
    exts = b""
    is_ip = server_name.replace(".", "").isdigit() or ":" in server_name
    if server_name and not is_ip:
        name = server_name.encode("ascii", "ignore")
        entry = b"\x00" + u16(len(name)) + name
        exts += ext(0x0000, u16(len(entry)) + entry)  # server_name
    exts += ext(0x000A, u16(6) + bytes.fromhex("001d00170018"))  # x25519, P-256, P-384
    exts += ext(0x000B, b"\x01\x00")  # ec_point_formats: uncompressed
    sigs = bytes.fromhex("040308040401050308050501080606010201")
    exts += ext(0x000D, u16(len(sigs)) + sigs)  # signature_algorithms
    exts += ext(0xFF01, b"\x00")  # renegotiation_info
    exts += ext(0x002B, b"\x04\x03\x04\x03\x03")  # supported_versions: 1.3, 1.2
    exts += ext(0x002D, b"\x01\x01")  # psk_key_exchange_modes: psk_dhe_ke
    share = u16(0x001D) + u16(32) + os.urandom(32)
    exts += ext(0x0033, u16(len(share)) + share)  # key_share: x25519
    body = (
        b"\x03\x03"  # legacy_version TLS 1.2
        + os.urandom(32)  # random
        + b"\x20"
        + os.urandom(32)  # legacy_session_id (middlebox compatibility)
        + u16(len(suites))
        + suites
        + b"\x01\x00"  # compression: null
        + u16(len(exts))
        + exts
    )
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + u16(len(handshake)) + handshake


def tls_probe(netloc: str, timeout: float) -> bool:
    """Does the server at ``netloc`` (port 443 by default) answer a TLS ClientHello in TLS?

    Used before an ``https`` attempt that may fall back to plain HTTP (``--tls-verify=false``,
    ``insecure = true``): when the server answers the hello with anything that is not a TLS
    record (a plain-HTTP server says ``HTTP/1.1 400``), a real TLS handshake could only
    fail the same way, so the caller goes to ``http`` without importing :mod:`ssl`. True
    when the answer is a TLS handshake or alert record, or no answer at all (the server
    closed or reset the connection): then the caller makes the real ``https`` attempt,
    exactly as without the probe. Connection errors and timeouts raise :class:`OSError`,
    as the real attempt would.
    """
    host, port = split_netloc(netloc, "https")
    sock = _connect(host, port, timeout)
    try:
        sock.sendall(_client_hello(host))
        try:
            first = sock.recv(1)
        except ConnectionResetError:
            return True
        return not first or first[0] in (0x15, 0x16)
    finally:
        sock.close()
