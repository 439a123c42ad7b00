"""`user-namespaces`: live sysctls vs configured ones, Debian's switch, CentOS 7's kernel argument."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

EL7_CMDLINE = (
    (Path(__file__).parent / "hosts/centos7-userns-off/root/proc/cmdline").read_text().strip()
)


@pytest.mark.parametrize(
    ("base", "files", "status", "expected", "templates"),
    [
        pytest.param("rhel9-ok", {}, "ok", "user.max_user_namespaces = 62912", [], id="enabled"),
        pytest.param(
            "rhel9-ok",
            {"/proc/sys/user/max_user_namespaces": "0\n"},
            "fail",
            "user.max_user_namespaces is 0 (nobody may create a user namespace)",
            ["sysctl"],
            id="limit 0",
        ),
        pytest.param(
            "rhel9-ok",
            {"/proc/sys/user/max_user_namespaces": "500\n"},
            "warn",
            "user.max_user_namespaces is only 500",
            [],
            id="a low limit warns",
        ),
        pytest.param(
            "rhel9-ok",
            {
                "/proc/sys/user/max_user_namespaces": "0\n",
                "/etc/sysctl.d/50-userns.conf": "user.max_user_namespaces=28633\n",
            },
            "fail",
            "although /etc/sysctl.d/50-userns.conf:1 sets 28633: the setting was never applied",
            ["sysctl-apply"],
            id="configured but not live: run sysctl --system",
        ),
        pytest.param(
            "rhel9-ok",
            {"/etc/sysctl.conf": "# hardening\nuser.max_user_namespaces = 0\n"},
            "warn",
            "user.max_user_namespaces is 62912 now, but /etc/sysctl.conf:2 sets 0: it reverts at the next boot",
            ["sysctl"],
            id="live but a config file turns it off at boot",
        ),
        pytest.param(
            "rhel9-ok",
            {"/proc/sys/kernel/unprivileged_userns_clone": "0\n"},
            "fail",
            "kernel.unprivileged_userns_clone is 0",
            ["sysctl"],
            id="Debian's unprivileged_userns_clone=0",
        ),
        pytest.param(
            "rhel9-ok",
            {"/proc/sys/kernel/unprivileged_userns_clone": "1\n"},
            "ok",
            "kernel.unprivileged_userns_clone = 1",
            [],
            id="Debian's switch on",
        ),
        pytest.param(
            "rhel9-ok",
            {"/proc/self/ns/user": None},
            "fail",
            "CONFIG_USER_NS is off",
            [],
            id="kernel without user namespaces",
        ),
        pytest.param(
            "centos7-userns-off",
            {},
            "fail",
            "the kernel command line lacks user_namespace.enable=1",
            ["sysctl", "kernel-arg", "reboot", "note"],
            id="CentOS 7 as installed",
        ),
        pytest.param(
            "centos7-reboot-pending",
            {},
            "fail",
            "configured in /etc/default/grub, /boot/grub2/grub.cfg but the running kernel was booted without it: reboot pending",
            ["reboot"],
            id="CentOS 7 fixed, reboot pending",
        ),
        pytest.param(
            "centos7-reboot-pending",
            {"/proc/cmdline": EL7_CMDLINE + " user_namespace.enable=1\n"},
            "ok",
            "user_namespace.enable=1 is on the kernel command line",
            [],
            id="CentOS 7 after the reboot",
        ),
    ],
)
def test_user_namespaces(
    tmp_path: Path, *, base: str, files: dict, status: str, expected: str, templates: list
) -> None:
    finding = check_case(tmp_path, "user-namespaces", base=base, files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)
    assert fix_templates(finding) == templates


def test_the_bad_line_in_etc_is_disabled_by_the_fix(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path,
        "user-namespaces",
        files={
            "/etc/sysctl.conf": "user.max_user_namespaces = 0\n",
            "/proc/sys/user/max_user_namespaces": "0\n",
        },
    )
    (step,) = finding.fix.steps
    assert step.context == {
        "key": "user.max_user_namespaces",
        "value": "28633",
        "file": "/etc/sysctl.d/99-rootless.conf",
        "disable": ["/etc/sysctl.conf"],
    }
