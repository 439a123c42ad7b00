"""`rootless engine pull/images/rmi/prune` for real: Debian's docker-registry on loopback,
the unprivileged test user, user namespaces with the real /etc/subuid range."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from harness import TestUser, require_command
from oci_registry import Samples, engine_env, insecure_conf

pytestmark = [pytest.mark.userns, pytest.mark.registry]

_INSPECT = r"""
import json, os, stat, sys
from rootless.engine.userns import MapPlan, fork_in_userns
root, out = sys.argv[1], sys.argv[2]
def body():
    tree = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            try:
                xattrs = sorted(os.listxattr(p, follow_symlinks=False))
            except OSError:
                xattrs = []
            tree[os.path.relpath(p, root)] = {
                "uid": st.st_uid, "gid": st.st_gid, "mode": st.st_mode, "ino": st.st_ino,
                "link": os.readlink(p) if stat.S_ISLNK(st.st_mode) else None, "xattrs": xattrs,
            }
    with open(out, "w") as fh:
        json.dump(tree, fh)
    return 0
print(fork_in_userns(body, plan=MapPlan.for_current_user()).wait())
"""


def inspect_rootfs(user: TestUser, rootfs: Path, scratch: Path) -> dict[str, dict]:
    """Owners and modes of every file as seen *inside* the user namespace."""
    out = scratch / "inspect.json"
    res = user.python_cmd(_INSPECT, str(rootfs), str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "0", res.stdout + res.stderr
    return json.loads(out.read_text())


def pull(user: TestUser, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return user.rootless_cmd("engine", "pull", *args, env=env, timeout=300)


def images_json(user: TestUser, env: dict[str, str]) -> list[dict]:
    res = user.rootless_cmd("engine", "images", "--json", env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def subuid_start(user: TestUser) -> int:
    for line in Path("/etc/subuid").read_text().splitlines():
        name, start, _ = line.split(":")
        if name == user.name:
            return int(start)
    raise AssertionError("no subuid range")


def test_pull_keeps_owners_inside_the_namespace_and_maps_them_to_subids(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    img = oci_registry.images["busybox"]
    res = pull(test_user, env, "--tls-verify=false", oci_registry.ref("busybox"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == img.config_digest.split(":")[1]
    assert "full sub-id mapping" in res.stderr
    assert "skipped 1 device node(s) (/dev-null-in-image)" in res.stderr
    rootfs = user_tmp / "store" / "rootfs" / img.config_digest.split(":")[1]
    tree = inspect_rootfs(test_user, rootfs, user_tmp)
    assert (tree["home/www/index.html"]["uid"], tree["home/www/index.html"]["gid"]) == (101, 101)
    assert tree["var/empty/owned-by-nobody"]["uid"] == 65534
    assert tree["var/empty"]["gid"] == 65534
    assert tree["etc/shadow"]["gid"] == 42
    assert oct(tree["etc/shadow"]["mode"] & 0o7777) == "0o640"
    assert oct(tree["usr/bin/suid-tool"]["mode"] & 0o7777) == "0o4755"
    assert oct(tree["usr/bin/sgid-tool"]["mode"] & 0o7777) == "0o2755"
    assert tree["usr/bin/sgid-tool"]["gid"] == 101
    assert oct(tree["tmp"]["mode"] & 0o7777) == "0o1777"
    assert oct(tree["home/www"]["mode"] & 0o7777) == "0o750"
    assert tree["bin/test"]["ino"] == tree["bin/busybox"]["ino"]  # hardlink
    assert tree["bin/sh"]["link"] == "busybox"
    assert tree["usr/bin/env"]["link"] == "/bin/env"
    assert "a-fifo" in tree
    assert "dev-null-in-image" not in tree
    assert tree["xattr-file"]["xattrs"] == ["user.rootless"]  # trusted.* and user.overlay.* dropped
    # on the host the same files belong to the sub-ids (as podman stores them)
    start = subuid_start(test_user)
    assert (rootfs / "home/www/index.html").stat().st_uid == start + 100
    assert (rootfs / "var/empty/owned-by-nobody").stat().st_uid == start + 65533
    assert (rootfs / "bin/busybox").stat().st_uid == test_user.uid
    # the OCI layout holds exactly the verified blobs
    blobs = user_tmp / "store/oci/blobs/sha256"
    for blob in blobs.iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    names = {p.name for p in blobs.iterdir()}
    assert {
        img.manifest_digest.split(":")[1],
        img.config_digest.split(":")[1],
        img.layer_digests[0].split(":")[1],
    } <= names
    assert list((user_tmp / "store/tmp").iterdir()) == []


def test_second_layer_whiteouts_and_opaque_dir_follow_same_layer_semantics(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    img = oci_registry.images["layered"]
    res = pull(test_user, env, "--tls-verify=false", oci_registry.ref("layered"))
    assert res.returncode == 0, res.stderr
    tree = inspect_rootfs(test_user, user_tmp / "store/rootfs" / img.config_digest[7:], user_tmp)
    assert "data/old" not in tree
    assert "data/old/x" not in tree
    assert "data/keep.txt" in tree
    assert "etc/motd" not in tree
    assert "etc/passwd" in tree
    opq = sorted(k for k in tree if k.startswith("opq/"))
    assert opq == ["opq/keepdir", "opq/keepdir/new3", "opq/new1", "opq/new2"]
    assert not any(".wh." in k for k in tree)
    assert tree["etc/added-by-layer2"]["uid"] == 101


def test_zstd_multi_frame_layer_is_unpacked_and_diff_ids_verified(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    img = oci_registry.images["zstd"]
    res = pull(test_user, env, "--tls-verify=false", oci_registry.ref("zstd"))
    assert res.returncode == 0, res.stderr
    tree = inspect_rootfs(test_user, user_tmp / "store/rootfs" / img.config_digest[7:], user_tmp)
    files = [k for k in tree if k.startswith("zstd/file")]
    assert len(files) == 50
    assert all(tree[f]["uid"] == 65534 for f in files)
    info = json.loads((user_tmp / "store/rootfs" / f"{img.config_digest[7:]}.json").read_text())
    assert info["full_mapping"] is True


def test_multiarch_index_selects_host_platform_and_skips_attestations(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    img = oci_registry.images["multiarch"]
    res = pull(test_user, env, "--tls-verify=false", oci_registry.ref("multiarch"))
    assert res.returncode == 0, res.stderr
    rows = images_json(test_user, env)
    assert len(rows) == 1
    assert rows[0]["manifest_digest"] == img.manifest_digest
    assert rows[0]["digest"] == img.index_digest
    foreign = img.extra["foreign"]
    other = img.extra["foreign_arch"]
    res = pull(
        test_user,
        env,
        "--tls-verify=false",
        f"--platform=linux/{other}",
        oci_registry.ref("multiarch"),
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == foreign.config_digest[7:]
    res = pull(
        test_user,
        env,
        "--tls-verify=false",
        "--platform=linux/s390x",
        oci_registry.ref("multiarch"),
    )
    assert res.returncode == 1
    assert "no image for platform linux/s390x" in res.stderr
    assert "unknown" not in res.stderr.split("available:")[1]


def test_images_rmi_and_prune_keep_shared_layers_while_referenced(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    for key in ("busybox", "layered"):
        assert pull(test_user, env, "--tls-verify=false", oci_registry.ref(key)).returncode == 0
    shared = oci_registry.images["busybox"].layer_digests[0][7:]
    blobs = user_tmp / "store/oci/blobs/sha256"
    assert (blobs / shared).exists()
    listing = test_user.rootless_cmd("engine", "images", env=env)
    assert listing.returncode == 0
    assert "REPOSITORY" in listing.stdout
    assert f"{oci_registry.host}/library/busybox" in listing.stdout
    res = test_user.rootless_cmd("engine", "rmi", oci_registry.ref("busybox"), env=env)
    assert res.returncode == 0, res.stderr
    assert f"Untagged: {oci_registry.ref('busybox')}" in res.stdout
    assert (blobs / shared).exists()  # still used by "layered"
    assert not (
        user_tmp / "store/rootfs" / oci_registry.images["busybox"].config_digest[7:]
    ).exists()
    assert [r["name"] for r in images_json(test_user, env)] == [oci_registry.ref("layered")]
    res = test_user.rootless_cmd("engine", "prune", "--json", env=env)
    assert json.loads(res.stdout)["removed_blobs"] == 0
    img_id = oci_registry.images["layered"].config_digest[7:19]
    res = test_user.rootless_cmd("engine", "rmi", img_id, env=env)
    assert res.returncode == 0, res.stderr
    assert list(blobs.iterdir()) == []
    assert [p.name for p in (user_tmp / "store/rootfs").iterdir()] == []
    res = test_user.rootless_cmd("engine", "rmi", "nonexistent:latest", env=env)
    assert res.returncode == 1
    assert "image not known" in res.stderr


def test_an_image_used_by_a_container_keeps_its_rootfs(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    assert pull(test_user, env, "--tls-verify=false", oci_registry.ref("busybox")).returncode == 0
    ctr = user_tmp / "store/containers/c0ffee"
    ctr.mkdir(parents=True)
    (ctr / "container.json").write_text(json.dumps({"image": oci_registry.ref("busybox")}))
    res = test_user.rootless_cmd("engine", "rmi", oci_registry.ref("busybox"), env=env)
    assert res.returncode == 1
    assert "in use by container(s) c0ffee" in res.stderr
    res = test_user.rootless_cmd("engine", "rmi", "--force", oci_registry.ref("busybox"), env=env)
    assert res.returncode == 0, res.stderr
    rootfs = user_tmp / "store/rootfs" / oci_registry.images["busybox"].config_digest[7:]
    assert rootfs.is_dir()
    assert test_user.rootless_cmd("engine", "prune", "--all", env=env).returncode == 0
    assert rootfs.is_dir()
    (ctr / "container.json").unlink()
    ctr.rmdir()  # the runtime removed the container
    assert test_user.rootless_cmd("engine", "prune", env=env).returncode == 0
    assert not rootfs.exists()


def test_two_concurrent_pulls_of_the_same_image_are_safe(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    argv = [
        test_user.rootless,
        "engine",
        "pull",
        "-q",
        "--tls-verify=false",
        oci_registry.ref("layered"),
    ]
    procs = [
        test_user.popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outs]
    assert len({o[0] for o in outs}) == 1
    rootfs_dir = user_tmp / "store/rootfs"
    assert sorted(p.name for p in rootfs_dir.iterdir()) == sorted(
        [
            oci_registry.images["layered"].config_digest[7:],
            oci_registry.images["layered"].config_digest[7:] + ".json",
        ]
    )
    assert list((user_tmp / "store/tmp").iterdir()) == []
    assert len(images_json(test_user, env)) == 1


def test_basic_auth_registry_needs_credentials_from_the_auth_file(
    test_user: TestUser, user_tmp: Path, auth_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    ref = auth_registry.ref("busybox")
    res = pull(test_user, env, "--tls-verify=false", ref)
    assert res.returncode == 1
    assert auth_registry.host in res.stderr
    assert "podman login" in res.stderr
    import base64

    auth = user_tmp / "config/containers/auth.json"
    auth.parent.mkdir(parents=True)
    token = base64.b64encode(b"tester:s3cret!").decode()
    auth.write_text(json.dumps({"auths": {auth_registry.host: {"auth": token}}}))
    res = pull(test_user, env, "--tls-verify=false", ref)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == auth_registry.images["busybox"].config_digest[7:]
    bad = base64.b64encode(b"tester:wrong").decode()
    auth.write_text(json.dumps({"auths": {auth_registry.host: {"auth": bad}}}))
    res = pull(test_user, env, "--tls-verify=false", ref)
    assert res.returncode == 1
    assert "tester" in res.stderr
    assert str(auth) in res.stderr


def test_short_names_resolve_through_registries_conf_like_podman(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    host = oci_registry.host
    env = engine_env(user_tmp, registries_conf=insecure_conf(host, search=[host]))
    # (plain "busybox" is aliased to docker.io by Debian's shortnames.conf drop-in, and
    # aliases win, as in podman)
    res = pull(test_user, env, "library/layered")  # insecure = true: no --tls-verify needed
    assert res.returncode == 0, res.stderr
    assert f"Pulled {host}/library/layered:latest" in res.stderr
    env = engine_env(
        user_tmp, registries_conf=insecure_conf(host, aliases={"bb": f"{host}/library/busybox"})
    )
    res = pull(test_user, env, "bb:latest")
    assert res.returncode == 0, res.stderr
    assert f"Pulled {host}/library/busybox:latest" in res.stderr
    env = engine_env(user_tmp, registries_conf="")
    res = pull(test_user, env, "library/layered")
    assert res.returncode == 1
    assert "no unqualified-search registries are defined" in res.stderr


def test_plain_http_registry_is_refused_unless_allowed(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    res = pull(test_user, env, oci_registry.ref("busybox"))
    assert res.returncode == 1
    assert "does not speak HTTPS" in res.stderr
    assert "--tls-verify=false" in res.stderr


def test_missing_image_names_image_and_registry(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)
    res = pull(test_user, env, "--tls-verify=false", f"{oci_registry.host}/library/nothere:1.0")
    assert res.returncode == 1
    assert f"{oci_registry.host}/library/nothere:1.0" in res.stderr
    assert "not found" in res.stderr


def test_single_mapping_fallback_squashes_owners_and_names_the_doctor_check(
    test_user_nosubid: TestUser, oci_registry: Samples
) -> None:
    user = test_user_nosubid
    with user.tmpdir() as tmp:
        env = engine_env(tmp)
        res = pull(user, env, "--tls-verify=false", oci_registry.ref("busybox"))
        assert res.returncode == 0, res.stderr
        assert "warning:" in res.stderr
        assert "subid-ranges" in res.stderr
        assert "single-id mapping" in res.stderr
        rootfs = tmp / "store/rootfs" / oci_registry.images["busybox"].config_digest[7:]
        assert (rootfs / "home/www/index.html").stat().st_uid == user.uid
        assert (rootfs / "var/empty/owned-by-nobody").stat().st_uid == user.uid
        assert oct((rootfs / "usr/bin/suid-tool").stat().st_mode & 0o7777) == "0o4755"
        info = json.loads((rootfs.parent / f"{rootfs.name}.json").read_text())
        assert info["full_mapping"] is False
        rows = images_json(user, env)
        assert rows[0]["full_mapping"] is False
        assert (
            user.rootless_cmd("engine", "rmi", oci_registry.ref("busybox"), env=env).returncode == 0
        )
        assert not rootfs.exists()


def test_skopeo_and_umoci_read_the_layout_we_write(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    skopeo = require_command("skopeo", "skopeo")
    umoci = require_command("umoci", "umoci")
    env = engine_env(user_tmp)
    ref = oci_registry.ref("zstd")  # OCI media types (skopeo's oci: transport skips Docker ones)
    assert pull(test_user, env, "--tls-verify=false", ref).returncode == 0
    layout = user_tmp / "store/oci"
    res = subprocess.run([skopeo, "inspect", f"oci:{layout}:{ref}"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["Layers"] == oci_registry.images["zstd"].layer_digests
    res = subprocess.run([umoci, "ls", "--layout", str(layout)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert ref in res.stdout.split()
    res = subprocess.run(
        [umoci, "stat", "--image", f"{layout}:{ref}"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr


def test_interrupted_pull_leaves_no_partial_blob_or_rootfs_and_resumes(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    import signal
    import time

    env = engine_env(user_tmp)
    argv = [
        test_user.rootless,
        "engine",
        "pull",
        "-q",
        "--tls-verify=false",
        oci_registry.ref("zstd"),
    ]
    proc = test_user.popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.15)
    os.kill(proc.pid, signal.SIGKILL)  # setpriv execs: this is the engine itself
    proc.communicate(timeout=60)
    blobs = user_tmp / "store/oci/blobs/sha256"
    if blobs.exists():
        for blob in blobs.iterdir():
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    rootfs = user_tmp / "store/rootfs"
    if rootfs.exists():
        for entry in rootfs.iterdir():
            assert (
                entry.name.startswith(".tmp-")
                or (rootfs / f"{entry.name.removesuffix('.json')}.json").exists()
            )
    res = pull(test_user, env, "--tls-verify=false", oci_registry.ref("zstd"))
    assert res.returncode == 0, res.stderr
    assert not [p for p in rootfs.iterdir() if p.name.startswith(".tmp-")]


def test_zstd_layers_fall_back_to_the_zstd_command_without_the_module(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    require_command("zstd", "zstd")
    env = engine_env(user_tmp)
    code = (
        "import sys\n"
        "sys.modules['zstandard'] = None  # as if the optional module were not installed\n"
        "from rootless.engine.pullcmd import fast_pull\n"
        "sys.exit(fast_pull(['--tls-verify=false', sys.argv[1]]))\n"
    )
    res = test_user.python_cmd(code, oci_registry.ref("zstd"), env=env)
    assert res.returncode == 0, res.stderr
    img = oci_registry.images["zstd"]
    rootfs = user_tmp / "store/rootfs" / img.config_digest[7:]
    assert (rootfs / "zstd/file49").read_bytes() == b"zstd file 49\n" * 200


def test_store_option_on_the_engine_group_selects_the_store(
    test_user: TestUser, user_tmp: Path, oci_registry: Samples
) -> None:
    env = engine_env(user_tmp)  # ROOTLESS_STORE points at user_tmp/store
    other = user_tmp / "other-store"
    ref = oci_registry.ref("busybox")
    res = test_user.rootless_cmd(
        "engine", "--store", str(other), "pull", "-q", "--tls-verify=false", ref, env=env
    )
    assert res.returncode == 0, res.stderr
    assert (other / "oci/index.json").exists()
    assert not (user_tmp / "store").exists()
    res = test_user.rootless_cmd("engine", "--store", str(other), "images", "--json", env=env)
    assert [r["name"] for r in json.loads(res.stdout)] == [ref]
    assert images_json(test_user, env) == []


def test_pull_help_teaches_with_examples(test_user: TestUser) -> None:
    res = test_user.rootless_cmd("engine", "pull", "--help")
    assert res.returncode == 0
    assert "rootless engine pull --tls-verify=false" in res.stdout
    assert "--platform" in res.stdout
