"""`cgroup-v2` and `cgroup-delegation`."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

DELEGATED = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers"


def podman(version: str) -> dict:
    return {
        "commands": [
            {"argv": ["/usr/bin/podman", "--version"], "stdout": f"podman version {version}\n"}
        ]
    }


@pytest.mark.parametrize(
    ("base", "config", "status", "expected", "templates"),
    [
        pytest.param("rhel9-ok", {}, "ok", "cgroup v2 (unified hierarchy", [], id="unified"),
        pytest.param(
            "centos7-userns-off",
            {},
            "warn",
            "cgroup v1: no rootless resource limits",
            ["note"],
            id="v1 on CentOS 7",
        ),
        pytest.param(
            "centos7-userns-off",
            {
                "commands": [
                    {"argv": ["/usr/bin/podman", "--version"], "stdout": "podman version 6.0.0\n"}
                ]
            },
            "fail",
            "Podman 6 refuses it (Cgroups v1 not supported)",
            ["note"],
            id="v1 with podman 6",
        ),
        pytest.param(
            "alpine-openrc",
            {},
            "warn",
            "cgroup hybrid (v1 controllers, an extra v2 tree): deprecated in Podman 5",
            ["cgroup-v2-openrc", "reboot"],
            id="hybrid on OpenRC",
        ),
    ],
)
def test_cgroup_v2(
    tmp_path: Path, *, base: str, config: dict, status: str, expected: str, templates: list
) -> None:
    finding = check_case(tmp_path, "cgroup-v2", base=base, config=config)
    assert finding.status.value == status
    assert expected in finding.summary
    assert fix_templates(finding) == templates


def test_cgroup_v1_on_systemd_gets_the_kernel_argument(tmp_path: Path) -> None:
    mounts = (
        Path(__file__).parent / "hosts/centos7-userns-off/root/proc/self/mountinfo"
    ).read_text()
    finding = check_case(
        tmp_path, "cgroup-v2", base="debian12-no-uidmap", files={"/proc/self/mountinfo": mounts}
    )
    assert fix_templates(finding) == ["kernel-arg", "reboot"]
    assert finding.fix.steps[0].context == {"arg": "systemd.unified_cgroup_hierarchy=1"}


@pytest.mark.parametrize(
    ("base", "files", "status", "expected"),
    [
        pytest.param(
            "rhel9-ok",
            {},
            "ok",
            "delegated to alice: cpuset cpu io memory pids",
            id="all delegated",
        ),
        pytest.param(
            "rhel9-ok",
            {DELEGATED: "memory pids\n"},
            "warn",
            "cpu not delegated to alice (delegated: memory pids)",
            id="no cpu",
        ),
        pytest.param(
            "rhel9-ok",
            {DELEGATED: "cpu memory pids\n"},
            "ok",
            "not delegated: cpuset io",
            id="the basic three",
        ),
        pytest.param(
            "rhel9-ok",
            {DELEGATED: None},
            "warn",
            "no systemd user manager for uid 1000",
            id="no user manager",
        ),
        pytest.param("centos7-userns-off", {}, "skip", "cgroup v2 is not in use", id="cgroup v1"),
    ],
)
def test_cgroup_delegation(
    tmp_path: Path, base: str, files: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "cgroup-delegation", base=base, files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)
    if "cpu not delegated" in expected:
        assert fix_templates(finding) == ["cgroup-delegation"]
