"""A real OCI registry on loopback for the suite, and the sample images pushed into it.

:class:`RegistryServer` runs Debian's ``docker-registry`` (distribution) bound to 127.0.0.1
on a free port, with its own config and storage directory (optionally htpasswd Basic auth).
:func:`build_samples` builds images from ``busybox-static`` itself and pushes them through
the registry HTTP API (monolithic blob uploads, then manifests):

* ``library/busybox:latest`` — one gzip layer, OCI manifest: busybox with applets as hard-
  and symlinks, /etc/passwd and /etc/group with a non-root user ``www`` (101) and
  ``nobody`` (65534), files owned by 101 and 65534, setuid and sticky bits, ``ExposedPorts
  80/tcp``, no ``Env``;
* ``library/layered:latest`` — busybox + a second layer with whiteouts and an opaque dir
  (Docker schema 2 media types);
* ``library/zstd:latest`` — busybox + a multi-frame zstd layer;
* ``library/multiarch:latest`` — an OCI index: linux/amd64, linux/arm64/v8 and an
  ``unknown/unknown`` attestation entry.

Used by the engine tests of issue 4 and the runtime tests of issue 5.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MTIME = 1_700_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def host_arch() -> str:
    import platform

    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(m, m)


# --------------------------------------------------------------------------------------
# the real registry


@dataclass
class RegistryServer:
    workdir: Path
    htpasswd: tuple[str, str] | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> RegistryServer:
        binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
        self.workdir.mkdir(parents=True, exist_ok=True)
        storage = self.workdir / "storage"
        storage.mkdir(exist_ok=True)
        self.port = free_port()
        auth = ""
        if self.htpasswd:
            user, password = self.htpasswd
            res = subprocess.run(
                ["htpasswd", "-Bbn", user, password], capture_output=True, text=True, check=True
            )
            (self.workdir / "htpasswd").write_text(res.stdout)
            auth = (
                "auth:\n  htpasswd:\n    realm: rootless-test\n"
                f"    path: {self.workdir / 'htpasswd'}\n"
            )
        config = self.workdir / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n  secret: rootless-test-secret\n" + auth
        )
        log = (self.workdir / "registry.log").open("wb")
        self.proc = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"docker-registry exited: {(self.workdir / 'registry.log').read_text()[-2000:]}"
                )
            try:
                status, _, _ = self.http("GET", "/v2/")
                if status in (200, 401):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not start within 30 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _auth_header(self) -> dict[str, str]:
        if not self.htpasswd:
            return {}
        import base64

        raw = f"{self.htpasswd[0]}:{self.htpasswd[1]}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def http(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                method, path, body=body, headers={**self._auth_header(), **(headers or {})}
            )
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        status, _, _ = self.http("HEAD", f"/v2/{repo}/blobs/{digest}")
        if status == 200:
            return digest
        status, headers, body = self.http("POST", f"/v2/{repo}/blobs/uploads/")
        assert status == 202, (status, body)
        location = headers["location"]
        if location.startswith("http"):
            location = "/" + location.split("/", 3)[3]
        sep = "&" if "?" in location else "?"
        status, _, body = self.http(
            "PUT",
            f"{location}{sep}digest={digest}",
            body=data,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        )
        assert status == 201, (status, body)
        return digest

    def push_manifest(self, repo: str, ref: str, body: bytes, media_type: str) -> str:
        status, _, resp = self.http(
            "PUT", f"/v2/{repo}/manifests/{ref}", body=body, headers={"Content-Type": media_type}
        )
        assert status == 201, (status, resp)
        return sha256(body)


# --------------------------------------------------------------------------------------
# building layers


class LayerBuilder:
    """A tar layer assembled in memory, entry by entry (deterministic)."""

    def __init__(self) -> None:
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def _info(self, name: str, type_: bytes, mode: int, uid: int, gid: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = type_
        info.mode = mode
        info.uid, info.gid = uid, gid
        info.mtime = MTIME
        info.uname = info.gname = ""
        return info

    def dir(self, name: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> LayerBuilder:
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode, uid, gid))
        return self

    def file(  # noqa: PLR0917 - mirrors the tar header fields
        self,
        name: str,
        data: bytes = b"",
        mode: int = 0o644,
        uid: int = 0,
        gid: int = 0,
        pax: dict[str, str] | None = None,
        size: int | None = None,
    ) -> LayerBuilder:
        info = self._info(name, tarfile.REGTYPE, mode, uid, gid)
        info.size = len(data) if size is None else size
        if pax:
            info.pax_headers = dict(pax)
        self.tar.addfile(info, io.BytesIO(data) if data else None)
        return self

    def symlink(self, name: str, target: str, uid: int = 0, gid: int = 0) -> LayerBuilder:
        info = self._info(name, tarfile.SYMTYPE, 0o777, uid, gid)
        info.linkname = target
        self.tar.addfile(info)
        return self

    def hardlink(self, name: str, target: str) -> LayerBuilder:
        info = self._info(name, tarfile.LNKTYPE, 0o644, 0, 0)
        info.linkname = target
        self.tar.addfile(info)
        return self

    def device(
        self, name: str, kind: bytes = tarfile.CHRTYPE, major: int = 1, minor: int = 3
    ) -> LayerBuilder:
        info = self._info(name, kind, 0o666, 0, 0)
        info.devmajor, info.devminor = major, minor
        self.tar.addfile(info)
        return self

    def fifo(self, name: str) -> LayerBuilder:
        self.tar.addfile(self._info(name, tarfile.FIFOTYPE, 0o644, 0, 0))
        return self

    def raw(self, info: tarfile.TarInfo, data: bytes | None = None) -> LayerBuilder:
        self.tar.addfile(info, io.BytesIO(data) if data is not None else None)
        return self

    def tarball(self) -> bytes:
        self.tar.close()
        return self.buf.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def zstd_frames(data: bytes, frames: int = 3) -> bytes:
    """A multi-frame zstd stream (as zstd:chunked layers are), via the zstd command."""
    zstd = shutil.which("zstd")
    assert zstd, "zstd is required (apt install zstd)"
    out = b""
    step = max(1, len(data) // frames + 1)
    for i in range(0, len(data), step):
        out += subprocess.run(
            [zstd, "-q", "-c", "-3"], input=data[i : i + step], capture_output=True, check=True
        ).stdout
    return out


BUSYBOX_APPLETS_SYMLINK = (
    "sh",
    "ls",
    "cat",
    "id",
    "stat",
    "httpd",
    "echo",
    "sleep",
    "true",
    "false",
    "env",
    "wget",
    "ps",
    "find",
    "grep",
)
BUSYBOX_APPLETS_HARDLINK = (
    "test",
    "[",
    "mkdir",
    "rm",
    "touch",
    "chmod",
    "readlink",
    "cp",
    "mv",
    "nc",
    "uname",
    "hostname",
    "head",
    "wc",
)

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "www:x:101:101:web server:/home/www:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\nwww:x:101:\nnogroup:x:65534:\n"


def busybox_layer() -> bytes:
    busybox = Path("/bin/busybox")
    assert busybox.exists(), "busybox-static is required (apt install busybox-static)"
    lb = LayerBuilder()
    lb.dir("./").dir("bin")
    lb.file("bin/busybox", busybox.read_bytes(), mode=0o755)
    for applet in BUSYBOX_APPLETS_HARDLINK:
        lb.hardlink(f"bin/{applet}", "bin/busybox")
    for applet in BUSYBOX_APPLETS_SYMLINK:
        lb.symlink(f"bin/{applet}", "busybox")
    lb.dir("etc").file("etc/passwd", PASSWD.encode()).file("etc/group", GROUP.encode())
    lb.file("etc/shadow", b"root:*:19000:0:99999:7:::\n", mode=0o640, gid=42)
    lb.file("etc/motd", b"welcome\n")
    lb.dir("home", 0o755).dir("home/www", 0o750, uid=101, gid=101)
    lb.file("home/www/index.html", b"<h1>rootless</h1>\n", uid=101, gid=101)
    lb.dir("var").dir("var/empty", 0o755, uid=65534, gid=65534)
    lb.file("var/empty/owned-by-nobody", b"n\n", uid=65534, gid=65534)
    lb.dir("tmp", 0o1777)
    lb.dir("usr").dir("usr/bin").symlink("usr/bin/env", "/bin/env")
    lb.file("usr/bin/suid-tool", b"#!/bin/sh\nid\n", mode=0o4755)
    lb.file("usr/bin/sgid-tool", b"#!/bin/sh\nid\n", mode=0o2755, gid=101)
    lb.dir("data").file("data/keep.txt", b"keep\n").dir("data/old").file("data/old/x", b"x\n")
    lb.dir("opq").file("opq/lower1", b"1\n").dir("opq/sub").file("opq/sub/lower2", b"2\n")
    lb.dir("opq/keepdir").file("opq/keepdir/lower3", b"3\n")
    lb.file(
        "xattr-file",
        b"x",
        pax={
            "SCHILY.xattr.user.rootless": "yes",
            "SCHILY.xattr.trusted.evil": "no",
            "SCHILY.xattr.user.overlay.opaque": "y",
        },
    )
    lb.device("dev-null-in-image")
    lb.fifo("a-fifo")
    return lb.tarball()


def whiteout_layer() -> bytes:
    lb = LayerBuilder()
    lb.dir("data").file("data/.wh.old")
    lb.dir("etc").file("etc/.wh.motd")
    lb.dir("opq")
    lb.file("opq/new1", b"new1\n")  # before the marker: must survive it (same layer)
    lb.file("opq/.wh..wh..opq")
    lb.file("opq/new2", b"new2\n")
    lb.dir("opq/keepdir").file("opq/keepdir/new3", b"3\n")
    lb.file("etc/added-by-layer2", b"2\n", uid=101, gid=101)
    return lb.tarball()


def zstd_layer_tar() -> bytes:
    lb = LayerBuilder()
    lb.dir("zstd")
    for i in range(50):
        lb.file(f"zstd/file{i:02d}", (f"zstd file {i}\n" * 200).encode(), uid=65534, gid=65534)
    return lb.tarball()


def image_config(diff_ids: Iterable[str], arch: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "created": "2026-01-01T00:00:00Z",
        "architecture": arch or host_arch(),
        "os": "linux",
        "config": {"ExposedPorts": {"80/tcp": {}}, "Cmd": ["sh"], "WorkingDir": "/", **extra},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "rootless test fixture"}],
    }


@dataclass
class PushedImage:
    repo: str
    tag: str
    manifest_digest: str
    config_digest: str
    layer_digests: list[str]
    diff_ids: list[str]
    index_digest: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def ref(self, host: str) -> str:
        return f"{host}/{self.repo}:{self.tag}"


def push_image(
    reg: RegistryServer,
    repo: str,
    tag: str | None,
    layers: list[tuple[bytes, bytes, str]],  # (tar, blob, media type)
    *,
    docker: bool = False,
    arch: str | None = None,
    config_extra: dict[str, Any] | None = None,
) -> PushedImage:
    diff_ids = [sha256(tar) for tar, _, _ in layers]
    config = json.dumps(
        image_config(diff_ids, arch, **(config_extra or {})), sort_keys=True
    ).encode()
    config_digest = reg.push_blob(repo, config)
    descs = []
    for _, blob, mtype in layers:
        descs.append({"mediaType": mtype, "digest": reg.push_blob(repo, blob), "size": len(blob)})
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
        "config": {
            "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
            "digest": config_digest,
            "size": len(config),
        },
        "layers": descs,
    }
    body = json.dumps(manifest, indent=2).encode()
    digest = reg.push_manifest(repo, tag or sha256(body), body, manifest["mediaType"])
    return PushedImage(
        repo, tag or "", digest, config_digest, [d["digest"] for d in descs], diff_ids
    )


@dataclass
class Samples:
    host: str
    images: dict[str, PushedImage]
    server: RegistryServer | None = None

    def ref(self, key: str) -> str:
        return self.images[key].ref(self.host)


def build_samples(reg: RegistryServer) -> Samples:
    base_tar = busybox_layer()
    base = (base_tar, gz(base_tar), OCI_GZIP)
    images: dict[str, PushedImage] = {}
    images["busybox"] = push_image(reg, "library/busybox", "latest", [base])
    wh_tar = whiteout_layer()
    images["layered"] = push_image(
        reg,
        "library/layered",
        "latest",
        [(base_tar, base[1], DOCKER_GZIP), (wh_tar, gz(wh_tar), DOCKER_GZIP)],
        docker=True,
    )
    z_tar = zstd_layer_tar()
    images["zstd"] = push_image(
        reg, "library/zstd", "latest", [base, (z_tar, zstd_frames(z_tar), OCI_ZSTD)]
    )
    # multi-arch: amd64, arm64/v8 (different config, same layer) and an attestation entry
    other = "arm64" if host_arch() != "arm64" else "amd64"
    native = push_image(reg, "library/multiarch", None, [base])
    foreign = push_image(
        reg, "library/multiarch", None, [base], arch=other, config_extra={"Labels": {"arch": other}}
    )
    att_layer = json.dumps({"predicateType": "https://slsa.dev/provenance/v0.2"}).encode()
    attestation = push_image(
        reg,
        "library/multiarch",
        None,
        [(att_layer, att_layer, "application/vnd.in-toto+json")],
        arch="unknown",
    )
    entries = []
    for img, arch, variant in (
        (native, host_arch(), None),
        (foreign, other, "v8" if other == "arm64" else None),
    ):
        _status, _, body = reg.http(
            "GET",
            f"/v2/library/multiarch/manifests/{img.manifest_digest}",
            headers={"Accept": OCI_MANIFEST},
        )
        plat: dict[str, str] = {"os": "linux", "architecture": arch}
        if variant:
            plat["variant"] = variant
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": img.manifest_digest,
                "size": len(body),
                "platform": plat,
            }
        )
    _, _, att_body = reg.http(
        "GET",
        f"/v2/library/multiarch/manifests/{attestation.manifest_digest}",
        headers={"Accept": OCI_MANIFEST},
    )
    entries.append(
        {
            "mediaType": OCI_MANIFEST,
            "digest": attestation.manifest_digest,
            "size": len(att_body),
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {
                "vnd.docker.reference.type": "attestation-manifest",
                "vnd.docker.reference.digest": native.manifest_digest,
            },
        }
    )
    index = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, indent=2
    ).encode()
    index_digest = reg.push_manifest("library/multiarch", "latest", index, OCI_INDEX)
    native.tag = "latest"
    native.index_digest = index_digest
    native.extra = {
        "foreign": foreign,
        "foreign_arch": other,
        "attestation": attestation.manifest_digest,
    }
    images["multiarch"] = native
    return Samples(reg.host, images, reg)


def start_registry(htpasswd: tuple[str, str] | None = None) -> RegistryServer:
    workdir = Path(tempfile.mkdtemp(prefix="rootless-registry-", dir="/var/tmp"))
    os.chmod(workdir, 0o755)
    return RegistryServer(workdir, htpasswd).start()


# --------------------------------------------------------------------------------------
# running the engine against these registries


def engine_env(
    base: Path,
    *,
    registries_conf: str = "",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment for ``rootless engine`` confined to ``base`` (a dir the user owns):
    its own store, registries.conf (``registries_conf`` text) and config home (auth files)."""
    conf = base / "registries.conf"
    conf.write_text(registries_conf)
    os.chmod(conf, 0o644)
    env = {
        "ROOTLESS_STORE": str(base / "store"),
        "CONTAINERS_REGISTRIES_CONF": str(conf),
        "XDG_CONFIG_HOME": str(base / "config"),
    }
    env.update(extra or {})
    return env


def insecure_conf(
    *hosts: str, search: Iterable[str] = (), aliases: dict[str, str] | None = None
) -> str:
    text = ""
    search = list(search)
    if search:
        text += "unqualified-search-registries = [" + ", ".join(f'"{h}"' for h in search) + "]\n"
    text += 'short-name-mode = "permissive"\n'
    if aliases:
        text += "[aliases]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in aliases.items())
    for host in hosts:
        text += f'\n[[registry]]\nlocation = "{host}"\ninsecure = true\n'
    return text
