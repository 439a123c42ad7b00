"""A small OCI distribution / Docker Registry v2 client (HTTP/1.1 by :mod:`.httpconn`).

What it does, and why by hand (see the engine research note, §3):

* ``GET /v2/`` ping; ``Bearer`` token flow (anonymous or with credentials) and ``Basic``;
  challenges parsed per RFC 7235 (scopes contain commas); tokens cached per scope.
* Redirects are followed manually and ``Authorization`` is **never** sent to another host
  (S3/CDN blob URLs refuse it; ``urllib`` would forward it).
* Retries with exponential backoff on 429/5xx and connection errors, honouring
  ``Retry-After``; a blob cut short is resumed with ``Range``.
* Every manifest and blob is verified against its digest while it streams; blobs stop at
  the descriptor's size. Nothing unverified is returned or renamed into the store.
* ``http://`` only when allowed (``insecure = true`` in registries.conf or
  ``--tls-verify=false``), and then only after ``https://`` failed, as containers/image
  does; TLS errors are explained. :mod:`ssl` is imported only when a server speaks TLS
  (:func:`~rootless.engine.httpconn.tls_probe` tells a plain-HTTP registry without it).

One :class:`Registry` serves one host; it is safe to use from several threads (each thread
keeps its own keep-alive connection).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from rootless.engine import httpconn
from rootless.engine.auth import Challenge, Credentials, parse_challenges
from rootless.engine.idmap import Record
from rootless.errors import RootlessError

TYPE_CHECKING = False  # mypy treats this name as true; typing stays off the pull's hot path
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable
    from typing import Any, TypeVar

    _T = TypeVar("_T")

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

#: containers/image refuses manifests above 4 MiB; so do we.
MAX_MANIFEST = 4 * 1024 * 1024
CHUNK = 1024 * 1024
USER_AGENT = "rootless-engine/0.1 (+containers/image compatible)"


class RegistryError(RootlessError):
    """A registry refused or failed a request; the message names the image and registry."""


class _NotTLS(OSError):
    """The server answered a TLS ClientHello with something that is not TLS."""


def _is_ssl_error(exc: BaseException) -> bool:
    """``isinstance(exc, ssl.SSLError)`` without importing :mod:`ssl`: no TLS connection
    was ever made when nothing imported it."""
    ssl = sys.modules.get("ssl")
    return ssl is not None and isinstance(exc, ssl.SSLError)


class Descriptor(Record):
    _fields = ("media_type", "digest", "size", "platform", "annotations", "urls")
    __slots__ = _fields
    media_type: str
    digest: str
    size: int
    platform: Mapping[str, Any] | None
    annotations: Mapping[str, str]
    urls: tuple[str, ...]

    def __init__(  # noqa: PLR0917 - the descriptor's fields, in order
        self,
        media_type: str,
        digest: str,
        size: int,
        platform: Mapping[str, Any] | None = None,
        annotations: Mapping[str, str] | None = None,
        urls: tuple[str, ...] = (),
    ) -> None:
        self._init(
            media_type, digest, size, platform, {} if annotations is None else annotations, urls
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str) -> Descriptor:
        try:
            digest = str(data["digest"])
            size = int(data["size"])
            media_type = str(data.get("mediaType", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"{where}: malformed descriptor {dict(data)!r}") from exc
        check_digest(digest, where)
        if size < 0:
            raise RegistryError(f"{where}: negative size in descriptor for {digest}")
        platform = data.get("platform")
        return cls(
            media_type,
            digest,
            size,
            platform if isinstance(platform, Mapping) else None,
            dict(data.get("annotations") or {}),
            tuple(data.get("urls") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.platform:
            out["platform"] = dict(self.platform)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


def check_digest(digest: str, where: str = "") -> str:
    """The hex part of a ``sha256:`` digest; anything else is refused."""
    alg, _, hexpart = digest.partition(":")
    if alg != "sha256" or len(hexpart) != 64 or any(c not in "0123456789abcdef" for c in hexpart):
        raise RegistryError(
            f"{where + ': ' if where else ''}unsupported or malformed digest {digest!r}"
        )
    return hexpart


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Manifest(Record):
    _fields = ("media_type", "digest", "body")
    __slots__ = _fields
    media_type: str
    digest: str
    body: bytes

    def __init__(self, media_type: str, digest: str, body: bytes) -> None:
        self._init(media_type, digest, body)

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        if not isinstance(data, dict):
            raise RegistryError(f"manifest {self.digest} is not a JSON object")
        return data


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime  # noqa: PLC0415

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_detail(body: bytes) -> str:
    """The ``errors[].message`` of an OCI error body, else a short excerpt."""
    try:
        data = json.loads(body)
        errs = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errs, list) and errs:
            parts = []
            for e in errs[:3]:
                if isinstance(e, dict):
                    code, msg = e.get("code", ""), e.get("message", "")
                    parts.append(f"{code}: {msg}" if code else str(msg))
            return "; ".join(parts)
    except ValueError:
        pass
    return body[:200].decode("utf-8", errors="replace").strip()


class _Local(threading.local):
    conns: dict[tuple[str, str], httpconn.Connection]

    def __init__(self) -> None:
        self.conns = {}


class Registry:
    """One registry host. ``name`` is what users wrote (``docker.io``), ``host`` where it is."""

    def __init__(  # noqa: PLR0917 - plain settings
        self,
        name: str,
        host: str,
        credentials: Credentials | None = None,
        tls_verify: bool = True,
        allow_http: bool = False,
        timeout: float = 60.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.host = host
        self.credentials = credentials
        self.tls_verify = tls_verify
        self.allow_http = allow_http
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.scheme: str | None = None
        self._local = _Local()
        self._lock = threading.Lock()
        self._challenge: Challenge | None = None
        self._tokens: dict[str, tuple[str, float]] = {}
        self._ssl: ssl.SSLContext | None = None

    @property
    def _where(self) -> str:
        return self.name if self.name == self.host else f"{self.name} ({self.host})"

    # ---------------------------------------------------------------- connections
    def _context(self) -> ssl.SSLContext:
        import ssl  # noqa: PLC0415 - only for https registries

        if self._ssl is None:
            if self.tls_verify:
                ctx = ssl.create_default_context()
                for d in _cert_dirs(self.host):
                    for crt in sorted(d.glob("*.crt")):
                        ctx.load_verify_locations(cafile=str(crt))
            else:
                ctx = ssl._create_unverified_context()  # noqa: S323 - the user asked for it
            self._ssl = ctx
        return self._ssl

    def _conn(self, scheme: str, netloc: str, fresh: bool = False) -> httpconn.Connection:
        key = (scheme, netloc)
        conn = self._local.conns.get(key)
        if conn is not None and not fresh:
            return conn
        if conn is not None:
            conn.close()
        context = self._context() if scheme == "https" else None
        conn = httpconn.Connection(scheme, netloc, timeout=self.timeout, context=context)
        self._local.conns[key] = conn
        return conn

    def close(self) -> None:
        for conn in self._local.conns.values():
            conn.close()
        self._local.conns.clear()

    def _send(self, method: str, url: str, headers: Mapping[str, str]) -> httpconn.Response:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        hdrs = {"User-Agent": USER_AGENT, **headers}
        for fresh in (False, True):
            conn = self._conn(parts.scheme, parts.netloc, fresh=fresh)
            try:
                conn.request(method, target, headers=hdrs)
                return conn.getresponse()
            except (httpconn.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if fresh:
                    raise
            except BaseException:
                conn.close()
                raise
        raise AssertionError("unreachable")

    # ---------------------------------------------------------------- ping and auth
    def _tls_error(self, exc: Exception) -> RegistryError:
        import ssl  # noqa: PLC0415

        if isinstance(exc, ssl.SSLCertVerificationError):
            why = exc.verify_message or str(exc)
            return RegistryError(
                f"TLS certificate of registry {self._where} is not trusted: {why}",
                hint="install its CA in /etc/containers/certs.d/<host>/ca.crt, or pass "
                "--tls-verify=false only if you trust this network",
            )
        text = str(exc)
        if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
            return RegistryError(
                f"registry {self._where} does not speak HTTPS",
                hint="allow plain HTTP for it with `--tls-verify=false` or "
                f'`[[registry]] location = "{self.name}"  insecure = true` in registries.conf',
            )
        return RegistryError(f"TLS handshake with registry {self._where} failed: {text}")

    def ping(self) -> None:
        """Find the scheme and the auth challenge (``GET /v2/``)."""
        schemes = ["https", "http"] if self.allow_http else ["https"]
        last: Exception | None = None
        for scheme in schemes:
            try:
                if scheme == "https" and self.allow_http:
                    # http may follow: skip a TLS handshake (and the ssl import) that could
                    # only fail because the server answers a ClientHello in plain HTTP
                    probe = functools.partial(httpconn.tls_probe, self.host, self.timeout)
                    if not self._with_retries(probe):
                        last = _NotTLS(f"{self.host} answered a TLS ClientHello in plain text")
                        continue
                resp = self._with_retries(
                    functools.partial(self._send, "GET", f"{scheme}://{self.host}/v2/", {})
                )
            except OSError as exc:
                last = exc
                if _is_ssl_error(exc) and not self.allow_http:
                    raise self._tls_error(exc) from exc
                continue
            body = resp.read()
            self.scheme = scheme
            if resp.status == 401:
                challenges = parse_challenges(resp.getheader("WWW-Authenticate") or "")
                self._challenge = _pick(challenges)
            elif resp.status == 404:
                raise RegistryError(
                    f"{self.host} is not a container registry (GET /v2/ answered 404)"
                )
            elif resp.status >= 400 and resp.status != 403:
                raise RegistryError(
                    f"registry {self._where} answered {resp.status} to /v2/: {_error_detail(body)}"
                )
            return
        if last is not None and _is_ssl_error(last):
            raise self._tls_error(last) from last
        raise RegistryError(
            f"cannot reach registry {self.name} at {self.host}: {getattr(last, 'strerror', None) or last}",
            hint="check the name, the network, or a proxy",
        ) from last

    def _with_retries(self, fn: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            try:
                return fn()
            except (OSError, httpconn.HTTPError) as exc:
                if _is_ssl_error(exc):
                    raise
                attempt += 1
                if attempt >= self.retries or isinstance(exc, ConnectionRefusedError):
                    raise
                self.sleep(self._delay(attempt, None))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        import random  # noqa: PLC0415 - only when a request is retried

        base = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return base + random.uniform(0, base / 10)  # noqa: S311 - jitter, not crypto

    def _token(self, scope: str, challenge: Challenge) -> str:
        with self._lock:
            cached = self._tokens.get(scope)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        realm = challenge.params.get("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise RegistryError(
                f"registry {self.name} sent a token realm that is not a URL: {realm!r}"
            )
        query: list[tuple[str, str]] = []
        if "service" in challenge.params:
            query.append(("service", challenge.params["service"]))
        scopes = [scope]
        extra = challenge.params.get("scope")
        if extra and extra != scope:
            scopes.append(extra)
        query += [("scope", s) for s in scopes]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        headers = {"Accept": "application/json"}
        if self.credentials:
            headers["Authorization"] = self.credentials.basic()
        resp = self._with_retries(functools.partial(self._send, "GET", url, headers))
        body = resp.read()
        if resp.status in (401, 403):
            if self.credentials:
                raise RegistryError(
                    f"registry {self.name} refused the credentials of user {self.credentials.username!r} "
                    f"(from {self.credentials.source}): {_error_detail(body)}",
                    hint="log in again with `podman login " + self.name + "`",
                )
            raise RegistryError(
                f"registry {self.name} requires authentication: {_error_detail(body)}",
                hint=f"log in with `podman login {self.name}` (rootless reads podman's and docker's auth files)",
            )
        if resp.status != 200:
            raise RegistryError(
                f"token endpoint of {self.name} answered {resp.status}: {_error_detail(body)}"
            )
        try:
            data = json.loads(body)
            token = str(data.get("token") or data.get("access_token") or "")
            expires = float(data.get("expires_in") or 60)
        except (ValueError, AttributeError) as exc:
            raise RegistryError(f"token endpoint of {self.name} sent invalid JSON") from exc
        if not token:
            raise RegistryError(f"token endpoint of {self.name} sent no token")
        with self._lock:
            self._tokens[scope] = (token, time.monotonic() + max(expires, 60) - 10)
        return token

    def _auth_header(self, scope: str) -> str | None:
        ch = self._challenge
        if ch is None:
            return None
        if ch.scheme == "bearer":
            return "Bearer " + self._token(scope, ch)
        if ch.scheme == "basic":
            if self.credentials is None:
                raise RegistryError(
                    f"registry {self.name} requires a username and password (Basic auth) and none is stored",
                    hint=f"log in with `podman login {self.name}`",
                )
            return self.credentials.basic()
        raise RegistryError(f"registry {self.name} asks for unsupported auth scheme {ch.scheme!r}")

    # ---------------------------------------------------------------- requests
    def request(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        headers: Mapping[str, str] | None = None,
    ) -> httpconn.Response:
        """Send a request with auth, manual redirects and retries; the body is unread.

        429 and 5xx answers are retried (``Retry-After`` honoured); the final response is
        returned whatever its status, for the caller to explain.
        """
        if self.scheme is None:
            self.ping()
        url = f"{self.scheme}://{self.host}{path}"
        home = urlsplit(url).netloc
        attempt = 0
        reauth = False
        redirects = 0
        while True:
            hdrs = dict(headers or {})
            same_host = urlsplit(url).netloc == home
            if same_host:
                auth = self._auth_header(scope)
                if auth:
                    hdrs["Authorization"] = auth
            resp = self._with_retries(functools.partial(self._send, method, url, hdrs))
            status = resp.status
            if status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                resp.read()
                redirects += 1
                if not location or redirects > 10:
                    raise RegistryError(f"registry {self.name}: bad or endless redirect for {path}")
                url = urljoin(url, location)
                if urlsplit(url).scheme not in ("http", "https"):
                    raise RegistryError(f"registry {self.name} redirected to a non-HTTP URL")
                if status == 303 and method != "HEAD":
                    method = "GET"
                continue
            if status == 401 and same_host and not reauth:
                picked = _pick(parse_challenges(resp.getheader("WWW-Authenticate") or ""))
                if picked is not None:
                    resp.read()
                    reauth = True
                    with self._lock:
                        self._challenge = picked
                        self._tokens.pop(scope, None)
                    continue
                return resp
            if (status == 429 or status >= 500) and attempt + 1 < self.retries:
                attempt += 1
                delay = self._delay(attempt, _retry_after(resp.getheader("Retry-After")))
                resp.read()
                self.sleep(delay)
                continue
            return resp

    def fail(
        self, resp: httpconn.Response, image: str, what: str, body: bytes | None = None
    ) -> RegistryError:
        """A clear error for a failed response (401/403/404/other), naming image and registry."""
        if body is None:
            body = _read_capped(resp, 65536)
        detail = _error_detail(body)
        status = resp.status
        if status == 401:
            if self.credentials:
                return RegistryError(
                    f"registry {self.name} rejected the credentials of {self.credentials.username!r} "
                    f"(from {self.credentials.source}) for {image}: {detail}",
                    hint=f"log in again with `podman login {self.name}`",
                )
            return RegistryError(
                f"authentication required to pull {image} from {self.name}: {detail}",
                hint=f"log in with `podman login {self.name}` (rootless reads podman's and docker's auth files)",
            )
        if status == 403:
            return RegistryError(f"access to {image} on {self.name} is denied: {detail}")
        if status == 404:
            return RegistryError(
                f"{what} not found: {image} does not exist on registry {self.name} ({detail or '404'})",
                hint="check the name and tag (podman search / skopeo list-tags)",
            )
        if status == 429:
            return RegistryError(
                f"registry {self.name} keeps rate-limiting requests for {image} (429): {detail}",
                hint="wait, log in (higher limits), or configure a mirror in registries.conf",
            )
        return RegistryError(
            f"registry {self.name} answered {status} for {what} of {image}: {detail}"
        )

    # ---------------------------------------------------------------- manifests
    def get_manifest(self, repo: str, reference: str, image: str) -> Manifest:
        """Fetch a manifest or index; verify its digest (when pinned, and any header)."""
        resp = self.request(
            "GET",
            f"/v2/{repo}/manifests/{reference}",
            scope=f"repository:{repo}:pull",
            headers={"Accept": ACCEPT},
        )
        if resp.status != 200:
            raise self.fail(resp, image, "manifest")
        length = resp.getheader("Content-Length")
        if length and length.isdigit() and int(length) > MAX_MANIFEST:
            resp.close()
            raise RegistryError(f"manifest of {image} is larger than 4 MiB; refusing it")
        body = _read_capped(resp, MAX_MANIFEST + 1)
        if len(body) > MAX_MANIFEST:
            raise RegistryError(f"manifest of {image} is larger than 4 MiB; refusing it")
        digest = sha256_digest(body)
        if reference.startswith("sha256:") and digest != reference:
            raise RegistryError(
                f"manifest of {image} from {self.name} does not match its digest: "
                f"asked for {reference}, received content hashing to {digest}; refusing it"
            )
        header = resp.getheader("Docker-Content-Digest")
        if header and header.startswith("sha256:") and header != digest:
            raise RegistryError(
                f"manifest of {image} from {self.name} does not match the Docker-Content-Digest "
                f"header ({header} != {digest}); refusing it"
            )
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip()
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise RegistryError(f"manifest of {image} from {self.name} is not JSON") from exc
        mtype = data.get("mediaType") if isinstance(data, dict) else None
        if isinstance(mtype, str) and mtype:
            if ctype and ctype != mtype and ctype not in ("application/json", "text/plain"):
                raise RegistryError(
                    f"manifest of {image}: Content-Type {ctype} does not match its mediaType {mtype}"
                )
            ctype = mtype
        elif ctype in ("", "application/json", "text/plain") and isinstance(data, dict):
            ctype = OCI_INDEX if "manifests" in data else OCI_MANIFEST
        if ctype in DOCKER_SCHEMA1 or (isinstance(data, dict) and data.get("schemaVersion") == 1):
            raise RegistryError(
                f"{image} is a Docker schema 1 image (deprecated since 2017); rootless pulls only "
                "schema 2 and OCI images"
            )
        if ctype not in INDEX_TYPES + MANIFEST_TYPES:
            raise RegistryError(f"{image}: unsupported manifest media type {ctype!r}")
        return Manifest(ctype, digest, body)

    def get_small_blob(
        self, repo: str, desc: Descriptor, image: str, limit: int = 8 * 1024 * 1024
    ) -> bytes:
        """A verified blob held in memory (image configs)."""
        if desc.size > limit:
            raise RegistryError(
                f"{image}: config blob {desc.digest} is absurdly large ({desc.size} bytes)"
            )
        resp = self.request(
            "GET", f"/v2/{repo}/blobs/{desc.digest}", scope=f"repository:{repo}:pull"
        )
        if resp.status != 200:
            raise self.fail(resp, image, f"blob {desc.digest}")
        body = _read_capped(resp, desc.size + 1)
        if len(body) != desc.size or sha256_digest(body) != desc.digest:
            raise RegistryError(
                f"blob {desc.digest} of {image} from {self.name} failed verification "
                f"(got {len(body)} bytes hashing to {sha256_digest(body)}); refusing it"
            )
        return body

    def download_blob(
        self,
        repo: str,
        desc: Descriptor,
        dest: Path,
        image: str,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Stream a blob into ``dest`` (a private partial file), resuming what is already
        there with ``Range``; hash while streaming. Raises, leaving no verified claim, when
        the content does not match ``desc``; the caller renames ``dest`` into the store
        only after this returns.
        """
        fd = os.open(dest, os.O_RDWR | os.O_CREAT, 0o644)
        with os.fdopen(fd, "r+b") as fh:
            hasher = _Sha256()
            have = _rehash(fh, hasher, desc.size)
            if progress and have:
                progress(have)
            stalls = 0
            while True:
                if have == desc.size and desc.size > 0:
                    break
                headers = {"Range": f"bytes={have}-"} if have else {}
                resp = self.request(
                    "GET",
                    f"/v2/{repo}/blobs/{desc.digest}",
                    scope=f"repository:{repo}:pull",
                    headers=headers,
                )
                if resp.status == 416 and have:
                    resp.read()
                    have = _restart(fh, hasher)
                    continue
                if resp.status == 206 and have:
                    content_range = resp.getheader("Content-Range") or ""
                    if not content_range.startswith(f"bytes {have}-"):
                        resp.read()
                        have = _restart(fh, hasher)
                        continue
                elif resp.status == 200:
                    if have:
                        have = _restart(fh, hasher)
                else:
                    raise self.fail(resp, image, f"blob {desc.digest}")
                fh.seek(have)
                before = have
                try:
                    while True:
                        chunk = resp.read(min(CHUNK, desc.size - have + 1))
                        if not chunk:
                            break
                        if have + len(chunk) > desc.size:
                            resp.close()
                            raise RegistryError(
                                f"blob {desc.digest} of {image} from {self.name} is larger than its "
                                f"descriptor ({desc.size} bytes); refusing it"
                            )
                        fh.write(chunk)
                        hasher.update(chunk)
                        have += len(chunk)
                        if progress:
                            progress(len(chunk))
                except (httpconn.IncompleteRead, OSError):
                    resp.close()
                if have < desc.size:
                    # cut short: resume with Range (containers/image's body_reader does the same)
                    stalls = stalls + 1 if have == before else 0
                    if stalls >= 3:
                        raise RegistryError(
                            f"download of blob {desc.digest} of {image} from {self.name} keeps "
                            f"breaking off at {have} of {desc.size} bytes"
                        )
                    self._conn_reset()
                    continue
                if desc.size == 0:
                    break
            fh.truncate(have)
            fh.flush()
            got = "sha256:" + hasher.hexdigest()
        if got != desc.digest:
            dest.unlink(missing_ok=True)
            raise RegistryError(
                f"blob of {image} from {self.name} does not match its digest: expected "
                f"{desc.digest}, received content hashing to {got}; refusing it"
            )

    def _conn_reset(self) -> None:
        for conn in self._local.conns.values():
            conn.close()
        self._local.conns.clear()


def _pick(challenges: list[Challenge]) -> Challenge | None:
    for scheme in ("bearer", "basic"):
        for ch in challenges:
            if ch.scheme == scheme:
                return ch
    return challenges[0] if challenges else None


def _read_capped(resp: httpconn.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = resp.read(min(CHUNK, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total >= limit:
        resp.close()
    return b"".join(chunks)


class _Sha256:
    """A sha256 that can start over (a blob restarted from byte 0)."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self.h.update(data)

    def reset(self) -> None:
        self.h = hashlib.sha256()

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def _rehash(fh: Any, hasher: _Sha256, size: int) -> int:
    """Hash what a previous, interrupted download left; 0 when it is unusable."""
    fh.seek(0, os.SEEK_END)
    have = int(fh.tell())
    if have > size:
        return _restart(fh, hasher)
    fh.seek(0)
    left = have
    while left:
        chunk = fh.read(min(CHUNK, left))
        if not chunk:
            break
        hasher.update(chunk)
        left -= len(chunk)
    return have


def _restart(fh: Any, hasher: _Sha256) -> int:
    fh.seek(0)
    fh.truncate(0)
    hasher.reset()
    return 0


def _cert_dirs(host: str) -> list[Path]:
    home = Path(os.environ.get("HOME") or os.path.expanduser("~"))
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    dirs = [xdg / "containers" / "certs.d" / host, Path("/etc/containers/certs.d") / host]
    return [d for d in dirs if d.is_dir()]
