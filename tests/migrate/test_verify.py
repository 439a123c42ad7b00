"""`rootless migrate --verify` against a real registry on loopback (Debian's docker-registry
with the sample images of the engine tests): existing references pass, missing ones are
reported per file:line and fail the run; the migration itself is unchanged by it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from oci_registry import Samples, insecure_conf

from rootless.migrate import Settings, fix_text

pytestmark = pytest.mark.registry

ROOTLESS = str(Path(sys.executable).parent / "rootless")


def _run(tmp_path: Path, host: str, *args: str) -> subprocess.CompletedProcess[str]:
    conf = tmp_path / "registries.conf"
    conf.write_text(insecure_conf(host))
    env = {
        **os.environ,
        "CONTAINERS_REGISTRIES_CONF": str(conf),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REGISTRY_AUTH_FILE": str(tmp_path / "auth.json"),
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [ROOTLESS, "migrate", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _project(tmp_path: Path, host: str) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "compose.yaml").write_text(
        "services:\n"
        "  ok:\n"
        f"    image: {host}/library/busybox:latest\n"
        "  missing:\n"
        f"    image: {host}/library/busybox:no-such-tag\n"
        "  built:\n"
        "    image: local-only\n"
        "    build: .\n"
    )
    (proj / "Dockerfile").write_text(
        f"FROM {host}/library/layered:latest AS base\nFROM base\nFROM {host}/acme/nothing:1\n"
    )
    (proj / "run.sh").write_text(
        f"#!/bin/sh\ndocker run --rm {host}/library/zstd:latest true\n"
        f"docker pull {host}/library/multiarch\n"
        'docker run "$IMAGE"\n'
    )
    return proj


def test_missing_references_are_reported_per_file_and_line(tmp_path: Path, oci_registry: Samples):
    host = oci_registry.host
    proj = _project(tmp_path, host)
    r = _run(tmp_path, host, "--check", "--verify", "--json", str(proj))
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    bad = {
        (Path(f["path"]).name, u["line"], u["image"])
        for f in doc["files"]
        for u in f["unresolvable_images"]
    }
    assert bad == {
        ("compose.yaml", 5, f"{host}/library/busybox:no-such-tag"),
        ("Dockerfile", 3, f"{host}/acme/nothing:1"),
    }
    assert doc["summary"]["verified_images"] == 6
    assert doc["summary"]["unresolvable_images"] == 2
    reasons = [u["reason"] for f in doc["files"] for u in f["unresolvable_images"]]
    assert all(f"not found on {host}" in why for why in reasons), reasons


def test_the_human_report_names_file_line_and_image(tmp_path: Path, oci_registry: Samples):
    host = oci_registry.host
    proj = _project(tmp_path, host)
    r = _run(tmp_path, host, "--check", "--verify", str(proj))
    assert f"compose.yaml:5: unresolvable image {host}/library/busybox:no-such-tag" in r.stdout
    assert f"Dockerfile:3: unresolvable image {host}/acme/nothing:1" in r.stdout
    assert "6 image(s) verified, 2 unresolvable" in r.stdout


def test_all_references_resolving_pass(tmp_path: Path, oci_registry: Samples):
    host = oci_registry.host
    f = tmp_path / "compose.yaml"
    f.write_text(f"services:\n  a:\n    image: {host}/library/busybox:latest\n")
    r = _run(tmp_path, host, "--check", "--verify", str(f))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 image(s) verified, 0 unresolvable" in r.stdout


def test_an_unreachable_registry_is_unresolvable_not_a_crash(tmp_path: Path, oci_registry: Samples):
    from oci_registry import free_port

    dead = f"127.0.0.1:{free_port()}"
    f = tmp_path / "compose.yaml"
    f.write_text(f"services:\n  a:\n    image: {dead}/x/y:1\n")
    r = _run(tmp_path, dead, "--check", "--verify", "--json", str(f))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    (u,) = doc["files"][0]["unresolvable_images"]
    assert "cannot reach" in u["reason"] or "refused" in u["reason"], u


def test_collected_references_are_the_migrated_ones():
    r = fix_text(
        "docker run nginx:1.25\ndocker build -t app .\ndocker run app\n",
        path="a.sh",
        settings=Settings(collect_images=True),
    )
    assert r.images == ((1, "docker.io/library/nginx:1.25"),)
    r = fix_text(
        "ARG B=python:3.12\nFROM ${B} AS x\nFROM x\nFROM scratch\n",
        path="Dockerfile",
        settings=Settings(collect_images=True),
    )
    assert r.images == ((1, "docker.io/library/python:3.12"),)
    r = fix_text(
        "[Service]\nExecStart=/usr/bin/docker run -p 1:1 redis:7\n",
        path="r.service",
        settings=Settings(collect_images=True),
    )
    assert r.images == ((2, "docker.io/library/redis:7"),)
