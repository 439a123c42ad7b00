from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of


def podman(stdout: str = "", returncode: int = 0, stderr: str = "") -> dict:
    return {
        "commands": [
            {
                "argv": ["/usr/bin/podman", "--version"],
                "stdout": stdout,
                "returncode": returncode,
                "stderr": stderr,
            }
        ]
    }


@pytest.mark.parametrize(
    ("files", "config", "status", "expected"),
    [
        pytest.param(
            {}, {}, "ok", "podman 4.9.4 (/usr/bin/podman)", id="podman 4 with notes on 5 and 6"
        ),
        pytest.param({}, podman("podman version 6.0.0\n"), "ok", "podman 6.0.0", id="podman 6"),
        pytest.param(
            {"/usr/bin/podman": None},
            {"commands": []},
            "fail",
            "podman is not installed",
            id="not installed",
        ),
        pytest.param(
            {},
            podman(returncode=1, stderr="podman: error while loading shared libraries"),
            "fail",
            "error while loading shared libraries",
            id="broken binary",
        ),
        pytest.param(
            {},
            podman("podman version 1.6.4\n"),
            "warn",
            "podman 1.6.4 is old",
            id="CentOS 7's podman",
        ),
    ],
)
def test_podman_version(
    tmp_path: Path, files: dict, config: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "podman-version", files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_notes_depend_on_the_host(tmp_path: Path) -> None:
    v4 = check_case(tmp_path / "a", "podman-version", files={"/usr/bin/pasta": None})
    assert (
        "note: Podman 5 uses pasta for rootless networking by default; install passt before upgrading"
        in v4.details
    )
    v1 = check_case(tmp_path / "b", "podman-version", base="centos7-userns-off")
    assert any("Podman 6 refuses this host (cgroup v1" in d for d in v1.details)


def test_missing_podman_fix_installs_it(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path, "podman-version", files={"/usr/bin/podman": None}, config={"commands": []}
    )
    assert fix_templates(finding) == ["install-packages"]
