"""`storage-driver` and `storage-filesystem`."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import HOSTS, check_case, fix_templates, text_of

GRAPH = "/home/alice/.local/share/containers/storage"
MOUNTS = (HOSTS / "rhel9-ok/root/proc/self/mountinfo").read_text()


@pytest.mark.parametrize(
    ("files", "config", "status", "expected", "templates"),
    [
        pytest.param({}, {}, "ok", "podman's storage uses overlay (native)", [], id="overlay"),
        pytest.param(
            {f"{GRAPH}/overlay-layers": None, f"{GRAPH}/vfs-layers/layers.json": "[]"},
            {},
            "warn",
            "uses vfs although native overlay works here",
            ["storage-overlay"],
            id="vfs although overlay works",
        ),
        pytest.param(
            {f"{GRAPH}/overlay-layers": None, f"{GRAPH}/vfs-layers/layers.json": "[]"},
            {"probes": {"overlay": {"ok": False, "error": "mount: Operation not permitted"}}},
            "warn",
            "podman's storage uses vfs: every layer is copied in full",
            [],
            id="vfs because overlay does not work",
        ),
        pytest.param(
            {"/home/alice/.config/containers/storage.conf": '[storage]\ndriver = "vfs"\n'},
            {},
            "fail",
            'database graph driver "overlay" does not match our graph driver "vfs"',
            [],
            id="storage.conf changed after first use",
        ),
        pytest.param(
            {"/home/alice/.config/containers/storage.conf": "[storage\ndriver = 1\n"},
            {},
            "fail",
            "cannot parse storage configuration: /home/alice/.config/containers/storage.conf",
            [],
            id="broken storage.conf",
        ),
        pytest.param(
            {f"{GRAPH}/overlay-layers": None},
            {},
            "ok",
            "not initialised yet",
            [],
            id="fresh user",
        ),
        pytest.param(
            {
                "/etc/containers/storage.conf": '[storage]\ndriver = "overlay"\nrootless_storage_path = "/data/$USER/storage"\n'
            },
            {},
            "ok",
            "graphroot: /data/alice/storage",
            [],
            id="rootless_storage_path with $USER",
        ),
    ],
)
def test_storage_driver(
    tmp_path: Path, *, files: dict, config: dict, status: str, expected: str, templates: list
) -> None:
    finding = check_case(tmp_path, "storage-driver", files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)
    assert fix_templates(finding) == templates


@pytest.mark.parametrize(
    ("files", "status", "expected"),
    [
        pytest.param({}, "ok", f"{GRAPH} is on xfs (/): local and exec-capable", id="local xfs"),
        pytest.param(
            {
                "/proc/self/mountinfo": MOUNTS
                + "61 22 0:50 / /home rw,relatime shared:40 - nfs4 nas:/home rw\n"
            },
            "fail",
            "a network file system with user namespaces is not supported",
            id="NFS",
        ),
        pytest.param(
            {
                "/proc/self/mountinfo": MOUNTS
                + "61 22 0:50 / /home rw,relatime shared:40 - zfs tank/home rw\n"
            },
            "fail",
            "'overlay' is not supported over zfs, a mount_program (fuse-overlayfs) is required",
            id="ZFS without fuse-overlayfs",
        ),
        pytest.param(
            {
                "/proc/self/mountinfo": MOUNTS
                + "61 22 0:50 / /home rw,relatime shared:40 - zfs tank/home rw\n",
                "/home/alice/.config/containers/storage.conf": '[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n',
            },
            "ok",
            "is on zfs",
            id="ZFS with a mount_program",
        ),
        pytest.param(
            {
                "/proc/self/mountinfo": MOUNTS
                + "61 22 8:3 / /home rw,noexec,relatime shared:40 - ext4 /dev/sda3 rw\n"
            },
            "fail",
            "mounted noexec",
            id="noexec",
        ),
    ],
)
def test_storage_filesystem(tmp_path: Path, files: dict, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "storage-filesystem", files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)
