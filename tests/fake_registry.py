"""An in-process fake registry for the faults a real registry will not produce.

* ``/v2/`` answers ``401`` with a ``Bearer`` challenge; ``/token`` issues tokens and
  records each request (scope, service, Authorization);
* blobs answer ``307`` to a second "CDN" server on another port that **rejects any
  Authorization header** (as S3 does) and supports ``Range``;
* switchable faults: ``429`` once (with ``Retry-After``), a truncated body, content that
  does not match its digest, a manifest served under the wrong digest.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class FakeState:
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # ref -> (body, type)
    blobs: dict[str, bytes] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    cdn_requests: list[dict[str, Any]] = field(default_factory=list)
    credentials: tuple[str, str] | None = None  # token endpoint demands these when set
    challenge_scope: str | None = "repository:test/img:pull,push"
    fail_429_once: set[str] = field(default_factory=set)
    truncate_once: set[str] = field(default_factory=set)
    corrupt: set[str] = field(default_factory=set)
    redirect_blobs: bool = True
    cdn_port: int = 0
    port: int = 0
    scheme: str = "http"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_manifest(self, ref: str, body: bytes, media_type: str) -> str:
        digest = sha(body)
        self.manifests[ref] = (body, media_type)
        self.manifests[digest] = (body, media_type)
        return digest

    def add_blob(self, data: bytes) -> str:
        digest = sha(data)
        self.blobs[digest] = data
        return digest


def _serve_range(handler: BaseHTTPRequestHandler, data: bytes, *, truncate: bool) -> None:
    rng = handler.headers.get("Range")
    start = 0
    if rng and rng.startswith("bytes="):
        start = int(rng[6:].split("-")[0])
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
    else:
        handler.send_response(200)
    body = data[start:]
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Content-Type", "application/octet-stream")
    handler.end_headers()
    if truncate:
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True
        return
    handler.wfile.write(body)


def make_handler(state: FakeState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        def _challenge(self) -> None:
            params = (
                f'realm="{state.scheme}://127.0.0.1:{state.port}/token",service="fake-registry"'
            )
            if state.challenge_scope:
                params += f',scope="{state.challenge_scope}"'
            self._json(
                401,
                {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                {"WWW-Authenticate": f"Bearer {params}"},
            )

        def _authorized(self) -> bool:
            auth = self.headers.get("Authorization", "")
            return auth.startswith("Bearer tok-")

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with state.lock:
                state.requests.append(
                    {
                        "path": parts.path,
                        "auth": self.headers.get("Authorization"),
                        "range": self.headers.get("Range"),
                    }
                )
            if parts.path == "/token":
                query = parse_qs(parts.query)
                auth = self.headers.get("Authorization")
                with state.lock:
                    state.token_requests.append(
                        {
                            "scope": query.get("scope", []),
                            "service": query.get("service", []),
                            "auth": auth,
                        }
                    )
                if state.credentials:
                    import base64

                    want = (
                        "Basic " + base64.b64encode(":".join(state.credentials).encode()).decode()
                    )
                    if auth != want:
                        self._json(
                            401,
                            {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]},
                        )
                        return
                with state.lock:
                    n = len(state.token_requests)
                self._json(200, {"token": f"tok-{n}", "expires_in": 300})
                return
            if parts.path == "/v2/":
                if self._authorized():
                    self._json(200, {})
                else:
                    self._challenge()
                return
            if not self._authorized():
                self._challenge()
                return
            segs = parts.path.split("/")
            # /v2/<repo...>/(manifests|blobs)/<ref>
            kind, ref = segs[-2], segs[-1]
            if kind == "manifests":
                found = state.manifests.get(ref)
                if not found:
                    self._json(
                        404,
                        {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]},
                    )
                    return
                body, mtype = found
                self.send_response(200)
                self.send_header("Content-Type", mtype)
                self.send_header("Docker-Content-Digest", sha(body))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            if kind == "blobs":
                data = state.blobs.get(ref)
                if data is None:
                    self._json(
                        404, {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown"}]}
                    )
                    return
                with state.lock:
                    if ref in state.fail_429_once:
                        state.fail_429_once.discard(ref)
                        self._json(
                            429,
                            {"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
                            {"Retry-After": "0"},
                        )
                        return
                if state.redirect_blobs:
                    self.send_response(307)
                    self.send_header(
                        "Location",
                        f"http://127.0.0.1:{state.cdn_port}/cdn/{ref}?X-Amz-Signature=abc",
                    )
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._blob(ref, data)
                return
            self._json(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "unknown"}]})

        def _blob(self, ref: str, data: bytes) -> None:
            with state.lock:
                truncate = ref in state.truncate_once
                state.truncate_once.discard(ref)
            if ref in state.corrupt:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            _serve_range(self, data, truncate=truncate)

    return Handler


def make_cdn_handler(state: FakeState) -> type[BaseHTTPRequestHandler]:
    class Cdn(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with state.lock:
                state.cdn_requests.append(
                    {
                        "path": parts.path,
                        "auth": self.headers.get("Authorization"),
                        "range": self.headers.get("Range"),
                    }
                )
            if self.headers.get("Authorization"):
                body = b"<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>"
                self.send_response(400)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            ref = parts.path.rsplit("/", 1)[-1]
            data = state.blobs.get(ref)
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with state.lock:
                truncate = ref in state.truncate_once
                state.truncate_once.discard(ref)
            if ref in state.corrupt:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            _serve_range(self, data, truncate=truncate)

    return Cdn


def self_signed_cert(directory: str) -> tuple[str, str]:
    """A throw-away certificate for 127.0.0.1 (cert path, key path), made with openssl."""
    import subprocess

    cert, key = f"{directory}/cert.pem", f"{directory}/key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def fake_registry(tls: tuple[str, str] | None = None) -> Iterator[FakeState]:
    """The fake registry; with ``tls=(cert, key)`` the main server speaks HTTPS."""
    state = FakeState()
    main = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    if tls is not None:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        main.socket = ctx.wrap_socket(main.socket, server_side=True)
        state.scheme = "https"
    cdn = ThreadingHTTPServer(("127.0.0.1", 0), make_cdn_handler(state))
    state.port = main.server_address[1]
    state.cdn_port = cdn.server_address[1]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (main, cdn)]
    for t in threads:
        t.start()
    try:
        yield state
    finally:
        for s in (main, cdn):
            s.shutdown()
            s.server_close()
        for t in threads:
            t.join(5)
