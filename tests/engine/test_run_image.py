"""`rootless engine run IMAGE` on an image pulled from the loopback registry: the runtime
resolves IMAGE through the store (``Store.lookup``) and runs its flattened rootfs under an
overlay, with the image config (Cmd, WorkingDir, no Env -> default PATH); a container keeps
its image from being removed; a remembered lookup never outlives the image."""

from __future__ import annotations

import socket
import urllib.request
import uuid
from pathlib import Path

import pytest
from harness import TestUser

pytestmark = [pytest.mark.userns, pytest.mark.registry]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_a_pulled_image_by_name(test_user: TestUser, user_tmp: Path, oci_registry) -> None:
    env = {"ROOTLESS_STORE": str(user_tmp / "store")}
    ref = oci_registry.ref("busybox")
    pulled = test_user.rootless_cmd(
        "engine", "pull", "--tls-verify=false", ref, env=env, timeout=300
    )
    assert pulled.returncode == 0, pulled.stderr

    res = test_user.rootless_cmd(
        "engine",
        "run",
        "--rm",
        ref,
        "sh",
        "-c",
        'id; stat -c "%u:%g %n" /home/www/index.html /var/empty/owned-by-nobody; echo "$PATH"; pwd',
        env=env,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("uid=0(root) gid=0(root)")
    assert lines[1:] == [
        "101:101 /home/www/index.html",
        "65534:65534 /var/empty/owned-by-nobody",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "/",
    ]
    # the image's Cmd (sh) runs when no command is given: stdin closed -> it exits 0
    assert test_user.rootless_cmd("engine", "run", "--rm", ref, env=env).returncode == 0

    port = _free_port()
    name = f"img{uuid.uuid4().hex[:12]}"
    res = test_user.rootless_cmd(
        "engine", "run", "-d", "--name", name, "-u", "www", "-p", f"127.0.0.1:{port}:8080",
        ref, "httpd", "-f", "-p", "8080", "-h", "/home/www", env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=30) as r:
            assert r.read() == b"<h1>rootless</h1>\n"
        ps = test_user.rootless_cmd("engine", "ps", env=env)
        assert ref in ps.stdout
        busy = test_user.rootless_cmd("engine", "rmi", ref, env=env)
        assert busy.returncode != 0  # the store sees the container using the image
        assert "in use" in busy.stderr
    finally:
        rm = test_user.rootless_cmd("engine", "rm", "-f", "-t", "0", name, env=env)
    assert rm.returncode == 0, rm.stderr
    assert (user_tmp / "store/containers/.image-cache").exists()  # lookups are remembered
    assert test_user.rootless_cmd("engine", "rmi", ref, env=env).returncode == 0
    gone = test_user.rootless_cmd("engine", "run", "--rm", ref, "true", env=env)
    assert gone.returncode == 125  # the remembered lookup died with the image
    assert "image not known locally" in gone.stderr
