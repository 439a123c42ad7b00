"""The registry client against an in-process fake registry: the faults a real registry
will not produce (token flow with comma scopes, CDN redirects refusing Authorization, 429,
truncated and corrupted bodies, attestation entries)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fake_registry import FakeState, fake_registry, sha
from harness import TestUser
from oci_registry import LayerBuilder, engine_env, gz

from rootless.engine.auth import Credentials
from rootless.engine.pull import select_platform
from rootless.engine.registry import Descriptor, Registry, RegistryError
from rootless.engine.store import Store

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def small_image(state: FakeState, repo_ref: str = "latest") -> dict[str, str]:
    tar = LayerBuilder().dir("etc").file("etc/hello", b"hello\n", uid=101, gid=101).tarball()
    blob = gz(tar) + b""
    layer = state.add_blob(blob)
    config = json.dumps(
        {
            "os": "linux",
            "architecture": "amd64",
            "rootfs": {"type": "layers", "diff_ids": [sha(tar)]},
            "config": {},
        }
    ).encode()
    cfg = state.add_blob(config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": cfg,
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer,
                    "size": len(blob),
                }
            ],
        }
    ).encode()
    digest = state.add_manifest(repo_ref, manifest, OCI_MANIFEST)
    return {"layer": layer, "config": cfg, "manifest": digest, "size": str(len(blob))}


def client(state: FakeState, sleeps: list[float] | None = None, **kw: object) -> Registry:
    rec = sleeps if sleeps is not None else []
    return Registry(
        name=f"127.0.0.1:{state.port}",
        host=f"127.0.0.1:{state.port}",
        tls_verify=False,
        allow_http=True,
        sleep=rec.append,
        **kw,  # type: ignore[arg-type]
    )


def test_bearer_token_flow_keeps_comma_scopes_whole_and_reuses_the_token() -> None:
    with fake_registry() as state:
        img = small_image(state)
        reg = client(state)
        m = reg.get_manifest("test/img", "latest", "test/img:latest")
        assert m.digest == img["manifest"]
        reg.get_manifest("test/img", img["manifest"], "test/img")
        assert len(state.token_requests) == 1
        scopes = state.token_requests[0]["scope"]
        assert "repository:test/img:pull" in scopes
        assert "repository:test/img:pull,push" in scopes  # not split at the comma
        assert state.token_requests[0]["service"] == ["fake-registry"]
        assert state.token_requests[0]["auth"] is None  # anonymous
        manifest_reqs = [r for r in state.requests if "/manifests/" in r["path"]]
        assert all(r["auth"] == "Bearer tok-1" for r in manifest_reqs)


def test_credentialed_token_request_sends_basic_to_the_realm_only() -> None:
    with fake_registry() as state:
        state.credentials = ("alice", "pa:ss")
        small_image(state)
        reg = client(state, credentials=Credentials("alice", "pa:ss", "auth.json"))
        reg.get_manifest("test/img", "latest", "test/img:latest")
        assert state.token_requests[-1]["auth"].startswith("Basic ")
        anon = client(state)
        with pytest.raises(RegistryError, match="requires authentication"):
            anon.get_manifest("test/img", "latest", "test/img:latest")
        wrong = client(state, credentials=Credentials("alice", "nope", "/x/auth.json"))
        with pytest.raises(
            RegistryError, match=r"refused the credentials of user 'alice' \(from /x/auth.json\)"
        ):
            wrong.get_manifest("test/img", "latest", "test/img:latest")


def test_blob_redirect_to_another_host_never_carries_authorization(tmp_path: Path) -> None:
    with fake_registry() as state:
        img = small_image(state)
        reg = client(state)
        dest = tmp_path / "blob.partial"
        desc = Descriptor(
            "application/vnd.oci.image.layer.v1.tar+gzip", img["layer"], int(img["size"])
        )
        reg.download_blob("test/img", desc, dest, "test/img")
        assert sha(dest.read_bytes()) == img["layer"]
        assert state.cdn_requests
        assert all(r["auth"] is None for r in state.cdn_requests)
        blob_reqs = [r for r in state.requests if "/blobs/" in r["path"]]
        assert all(r["auth"] and r["auth"].startswith("Bearer ") for r in blob_reqs)


def test_429_is_retried_after_the_retry_after_delay(tmp_path: Path) -> None:
    with fake_registry() as state:
        img = small_image(state)
        state.fail_429_once.add(img["layer"])
        sleeps: list[float] = []
        reg = client(state, sleeps)
        desc = Descriptor("x", img["layer"], int(img["size"]))
        reg.download_blob("test/img", desc, tmp_path / "b", "test/img")
        assert sha((tmp_path / "b").read_bytes()) == img["layer"]
        assert sleeps == [0.0]  # Retry-After: 0 honoured, no blind backoff


def test_truncated_body_is_resumed_with_range(tmp_path: Path) -> None:
    with fake_registry() as state:
        img = small_image(state)
        state.truncate_once.add(img["layer"])
        reg = client(state)
        desc = Descriptor("x", img["layer"], int(img["size"]))
        reg.download_blob("test/img", desc, tmp_path / "b", "test/img")
        assert sha((tmp_path / "b").read_bytes()) == img["layer"]
        ranges = [r["range"] for r in state.cdn_requests]
        assert ranges[0] is None
        assert ranges[1] == f"bytes={int(img['size']) // 2}-"


def test_blob_with_wrong_content_never_reaches_the_store(tmp_path: Path) -> None:
    with fake_registry() as state:
        img = small_image(state)
        state.corrupt.add(img["layer"])
        store = Store(tmp_path / "store")
        store.ensure()
        reg = client(state)
        desc = Descriptor("x", img["layer"], int(img["size"]))
        partial = store.partial_path(img["layer"])
        with pytest.raises(RegistryError, match="does not match its digest"):
            reg.download_blob("test/img", desc, partial, "test/img")
        assert not partial.exists()
        assert not store.has_blob(img["layer"])
        assert list((tmp_path / "store/oci/blobs/sha256").iterdir()) == []


def test_blob_longer_than_its_descriptor_is_refused(tmp_path: Path) -> None:
    with fake_registry() as state:
        img = small_image(state)
        reg = client(state)
        desc = Descriptor("x", img["layer"], int(img["size"]) - 10)
        with pytest.raises(RegistryError, match="larger than its descriptor"):
            reg.download_blob("test/img", desc, tmp_path / "b", "test/img")


def test_manifest_fetched_by_digest_must_hash_to_that_digest() -> None:
    with fake_registry() as state:
        img = small_image(state)
        bogus = "sha256:" + "0" * 64
        state.manifests[bogus] = state.manifests[img["manifest"]]
        reg = client(state)
        with pytest.raises(RegistryError, match="does not match its digest"):
            reg.get_manifest("test/img", bogus, "test/img@" + bogus)


def test_unknown_manifest_names_image_and_registry() -> None:
    with fake_registry() as state:
        reg = client(state)
        with pytest.raises(RegistryError) as err:
            reg.get_manifest("test/missing", "v1", "127.0.0.1/test/missing:v1")
        assert "127.0.0.1/test/missing:v1" in err.value.message
        assert f"127.0.0.1:{state.port}" in err.value.message
        assert "not found" in err.value.message


def test_plain_http_registry_is_refused_without_permission() -> None:
    with fake_registry() as state:
        reg = Registry(name="r", host=f"127.0.0.1:{state.port}", tls_verify=True, allow_http=False)
        with pytest.raises(RegistryError, match="does not speak HTTPS") as err:
            reg.ping()
        assert "--tls-verify=false" in (err.value.hint or "")


def _desc(digest: str, os_: str, arch: str, variant: str | None = None, **ann: str) -> dict:
    plat = {"os": os_, "architecture": arch}
    if variant:
        plat["variant"] = variant
    out: dict = {"mediaType": OCI_MANIFEST, "digest": digest, "size": 10, "platform": plat}
    if ann:
        out["annotations"] = ann
    return out


def test_platform_selection_skips_unknown_attestation_entries() -> None:
    a, b, c, d = ("sha256:" + ch * 64 for ch in "abcd")
    index = {
        "manifests": [
            _desc(a, "unknown", "unknown", **{"vnd.docker.reference.type": "attestation-manifest"}),
            _desc(b, "linux", "arm", "v7"),
            _desc(c, "linux", "arm64", "v8"),
            _desc(d, "linux", "amd64"),
        ]
    }
    assert select_platform(index, ("linux", "amd64", None), "img").digest == d
    assert select_platform(index, ("linux", "arm64", "v8"), "img").digest == c
    assert select_platform(index, ("linux", "arm", "v7"), "img").digest == b
    only_att = {"manifests": [index["manifests"][0]]}
    with pytest.raises(RegistryError, match=r"available: none"):
        select_platform(only_att, ("linux", "amd64", None), "img")


def test_arm64_without_variant_entry_still_matches_v8() -> None:
    a = "sha256:" + "a" * 64
    index = {"manifests": [_desc(a, "linux", "arm64")]}
    assert select_platform(index, ("linux", "arm64", "v8"), "img").digest == a


@pytest.mark.userns
def test_cli_pull_survives_429_truncation_and_cdn_redirect_and_refuses_corruption(
    test_user: TestUser, user_tmp: Path
) -> None:
    with fake_registry() as state:
        img = small_image(state)
        state.fail_429_once.add(img["layer"])
        state.truncate_once.add(img["layer"])
        env = engine_env(user_tmp)
        ref = f"127.0.0.1:{state.port}/test/img:latest"
        res = test_user.rootless_cmd("engine", "pull", "--tls-verify=false", ref, env=env)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == img["config"][7:]
        assert all(r["auth"] is None for r in state.cdn_requests)
        assert (user_tmp / "store/rootfs" / img["config"][7:] / "etc/hello").exists()

        second = user_tmp / "second"
        second.mkdir()
        if os.geteuid() == 0:
            os.chown(second, test_user.uid, test_user.gid)
        env2 = engine_env(second)
        state.corrupt.add(img["layer"])
        res = test_user.rootless_cmd("engine", "pull", "--tls-verify=false", ref, env=env2)
        assert res.returncode == 1
        assert "does not match its digest" in res.stderr
        blobs = user_tmp / "second/store/oci/blobs/sha256"
        assert not (blobs / img["layer"][7:]).exists()
        assert list((user_tmp / "second/store/tmp").iterdir()) == []
        assert not (user_tmp / "second/store/rootfs" / img["config"][7:]).exists()


def test_tls_registry_untrusted_certificate_is_explained_then_trusted_via_certs_d(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness import require_command

    require_command("openssl", "openssl")
    from fake_registry import self_signed_cert

    cert, key = self_signed_cert(str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    with fake_registry(tls=(cert, key)) as state:
        small_image(state)
        host = f"127.0.0.1:{state.port}"
        strict = Registry(name=host, host=host, tls_verify=True, allow_http=False)
        with pytest.raises(RegistryError, match="is not trusted") as err:
            strict.get_manifest("test/img", "latest", "test/img:latest")
        assert "certs.d" in (err.value.hint or "")
        # --tls-verify=false: still HTTPS (tried first), without verification
        lax = Registry(name=host, host=host, tls_verify=False, allow_http=True)
        lax.get_manifest("test/img", "latest", "test/img:latest")
        assert lax.scheme == "https"
        # the CA in certs.d/<host>/ (as podman reads it) makes the strict client work
        certs = tmp_path / "cfg/containers/certs.d" / host
        certs.mkdir(parents=True)
        (certs / "ca.crt").write_text(Path(cert).read_text())
        trusted = Registry(name=host, host=host, tls_verify=True, allow_http=False)
        assert trusted.get_manifest("test/img", "latest", "test/img:latest").digest
        assert trusted.scheme == "https"


@pytest.mark.userns
def test_cli_pull_of_an_uncompressed_layer(test_user: TestUser, user_tmp: Path) -> None:
    with fake_registry() as state:
        tar = LayerBuilder().dir("etc").file("etc/plain", b"not compressed\n", uid=65534).tarball()
        layer = state.add_blob(tar)
        config = json.dumps(
            {
                "os": "linux",
                "architecture": "amd64",
                "rootfs": {"type": "layers", "diff_ids": [sha(tar)]},
            }
        ).encode()
        cfg = state.add_blob(config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": cfg,
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer,
                        "size": len(tar),
                    }
                ],
            }
        ).encode()
        state.add_manifest("plain", manifest, OCI_MANIFEST)
        env = engine_env(user_tmp)
        res = test_user.rootless_cmd(
            "engine",
            "pull",
            "--tls-verify=false",
            f"127.0.0.1:{state.port}/test/img:plain",
            env=env,
        )
        assert res.returncode == 0, res.stderr
        path = user_tmp / "store/rootfs" / cfg[7:] / "etc/plain"
        assert path.read_bytes() == b"not compressed\n"
        start = int(
            next(
                ln
                for ln in Path("/etc/subuid").read_text().splitlines()
                if ln.startswith(test_user.name + ":")
            ).split(":")[1]
        )
        assert path.stat().st_uid == start + 65533
