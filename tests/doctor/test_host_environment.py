from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import HOSTS, check_case, text_of

MOUNTS = (HOSTS / "rhel9-ok/root/proc/self/mountinfo").read_text()
OVERLAY_ROOT = MOUNTS.replace(
    "- xfs /dev/mapper/rhel-root rw", "- overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w"
)


@pytest.mark.parametrize(
    ("files", "config", "status", "expected"),
    [
        pytest.param({}, {}, "ok", "not inside a container or WSL", id="a plain host"),
        pytest.param(
            {"/run/.containerenv": ""},
            {},
            "warn",
            "/run/.containerenv (podman)",
            id="inside podman",
        ),
        pytest.param(
            {},
            {"env": {"container": "podman"}},
            "warn",
            "$container=podman",
            id="container variable",
        ),
        pytest.param(
            {"/.dockerenv": "", "/proc/self/mountinfo": OVERLAY_ROOT},
            {},
            "warn",
            "/.dockerenv with a overlay root file system",
            id="inside docker",
        ),
        pytest.param(
            {"/.dockerenv": ""},
            {},
            "ok",
            "a leftover of how this system image was built",
            id="a stray /.dockerenv on a real disk is not a container",
        ),
        pytest.param(
            {"/proc/version": "Linux version 5.15.153.1-microsoft-standard-WSL2\n"},
            {},
            "ok",
            "running under WSL 2",
            id="WSL 2",
        ),
    ],
)
def test_host_environment(
    tmp_path: Path, files: dict, config: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "host-environment", files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)
