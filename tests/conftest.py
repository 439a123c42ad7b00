"""Fixtures shared by the whole suite. See harness.py for what they build on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    TestUser,
    current_user_as_test_user,
    make_test_user,
    require,
    require_command,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen",
        action="store_true",
        default=False,
        help="rewrite golden files (e.g. tests/doctor/hosts/*/expected.json) instead of comparing",
    )


@pytest.fixture
def regen(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files (--regen)."""
    return bool(request.config.getoption("--regen"))


def _check_runnable(user: TestUser) -> None:
    res = user.run([user.rootless, "--version"], timeout=60)
    require(
        res.returncode == 0,
        f"user {user.name} cannot run {user.rootless} (exit {res.returncode}: {res.stderr.strip()[:300]}); "
        "install rootless into a venv outside /root, as tests/run.sh does",
    )


@pytest.fixture(scope="session")
def test_user() -> TestUser:
    """A real unprivileged user with a 65536-id /etc/subuid and /etc/subgid range.

    As root (CI) the account is created (or reused) and commands drop to it with setpriv.
    As a normal user, that user is the test user and must already have a range.
    """
    require_command("newuidmap", "uidmap")
    require_command("newgidmap", "uidmap")
    require_command("setpriv", "util-linux")
    if os.geteuid() == 0:
        user = make_test_user(with_subids=True)
    else:
        user = current_user_as_test_user()
        from rootless.engine.idmap import lookup_user_ids

        require(
            lookup_user_ids().has_ranges,
            f"user {user.name} has no /etc/subuid and /etc/subgid range",
        )
    _check_runnable(user)
    return user


@pytest.fixture(scope="session")
def test_user_nosubid() -> TestUser:
    """A real unprivileged user with no sub-id range at all (single-mapping fallback)."""
    require(os.geteuid() == 0, "creating a user without sub-ids needs root (CI runs as root)")
    user = make_test_user(with_subids=False)
    _check_runnable(user)
    return user


@pytest.fixture
def user_tmp(test_user: TestUser) -> Iterator[Path]:
    """A scratch directory owned by the test user."""
    with test_user.tmpdir() as path:
        yield path


# --------------------------------------------------------------------------------------
# OCI registries on loopback (engine tests of issues 4 and 5)


def _registry_prereqs() -> None:
    require_command("docker-registry", "docker-registry")
    require_command("busybox", "busybox-static")
    require_command("zstd", "zstd")


@pytest.fixture(scope="session")
def oci_registry() -> Iterator[object]:
    """Debian's docker-registry on 127.0.0.1:<free port> with the sample images pushed.

    Yields :class:`oci_registry.Samples`: ``.host``, ``.ref("busybox")``, ``.images[...]``
    (digests, diff_ids) and ``.server``. Images: busybox, layered (whiteouts + opaque dir),
    zstd (multi-frame zstd layer), multiarch (OCI index with an attestation entry).
    """
    import shutil

    import oci_registry as reg_mod

    _registry_prereqs()
    server = reg_mod.start_registry()
    try:
        yield reg_mod.build_samples(server)
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def auth_registry() -> Iterator[object]:
    """A second registry with htpasswd Basic auth (user ``tester``, password ``s3cret!``),
    holding ``library/busybox:latest``. Yields :class:`oci_registry.Samples`."""
    import shutil

    import oci_registry as reg_mod

    _registry_prereqs()
    require_command("htpasswd", "apache2-utils")
    server = reg_mod.start_registry(htpasswd=("tester", "s3cret!"))
    try:
        tar = reg_mod.busybox_layer()
        img = reg_mod.push_image(
            server, "library/busybox", "latest", [(tar, reg_mod.gz(tar), reg_mod.OCI_GZIP)]
        )
        yield reg_mod.Samples(server.host, {"busybox": img}, server)
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


# --------------------------------------------------------------------------------------
# A busybox root filesystem with sub-id owners (engine run tests of issue 5)


@pytest.fixture(scope="session")
def busybox_rootfs(test_user: TestUser) -> Iterator[Path]:
    """A busybox root filesystem owned through the test user's sub-ids (read-only use:
    run it with ``--rootfs DIR:O`` so each container writes to its own overlay)."""
    from harness import build_busybox_rootfs

    with test_user.tmpdir() as base:
        yield build_busybox_rootfs(test_user, base / "rootfs")


@pytest.fixture(scope="session")
def busybox_rootfs_nosubid(test_user_nosubid: TestUser) -> Iterator[Path]:
    """The same rootfs built by the user without sub-ids (all files owned by that user)."""
    from harness import build_busybox_rootfs

    with test_user_nosubid.tmpdir() as base:
        yield build_busybox_rootfs(test_user_nosubid, base / "rootfs")
