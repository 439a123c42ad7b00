from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import HOSTS, check_case, text_of

MOUNTS = (HOSTS / "rhel9-ok/root/proc/self/mountinfo").read_text()


@pytest.mark.parametrize(
    ("files", "config", "status", "expected"),
    [
        pytest.param(
            {}, {}, "ok", "/home/alice is a writable directory owned by alice", id="a normal home"
        ),
        pytest.param(
            {},
            {"env": {"HOME": "/home/ghost"}},
            "fail",
            "/home/ghost does not exist",
            id="HOME does not exist",
        ),
        pytest.param(
            {},
            {"files": {"/home/alice": {"mode": 0o500}}},
            "fail",
            "is not writable by alice",
            id="read-only home",
        ),
        pytest.param(
            {},
            {"files": {"/home/alice": {"uid": 0, "mode": 0o777}}},
            "warn",
            "belongs to uid 0",
            id="home owned by root",
        ),
        pytest.param(
            {
                "/proc/self/mountinfo": MOUNTS
                + "61 22 8:3 / /home rw,nosuid,nodev,noexec,relatime shared:40 - ext4 /dev/sda3 rw\n"
            },
            {},
            "warn",
            "noexec mount (/home)",
            id="noexec home",
        ),
        pytest.param(
            {
                "/proc/self/mountinfo": MOUNTS
                + "61 22 0:50 / /home rw,relatime shared:40 - nfs4 nas:/home rw,vers=4.2\n"
            },
            {},
            "warn",
            "is on nfs4 (/home)",
            id="NFS home",
        ),
    ],
)
def test_home_dir(tmp_path: Path, files: dict, config: dict, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "home-dir", files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)
