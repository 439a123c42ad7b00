"""`unprivileged-ports` and `ping-group-range`."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

PORTS = "/proc/sys/net/ipv4/ip_unprivileged_port_start"


@pytest.mark.parametrize(
    ("files", "status", "expected", "templates"),
    [
        pytest.param(
            {}, "ok", "net.ipv4.ip_unprivileged_port_start = 80", [], id="ports from 80 allowed"
        ),
        pytest.param(
            {PORTS: "1024\n", "/etc/sysctl.d/90-rootless-ports.conf": None},
            "warn",
            "net.ipv4.ip_unprivileged_port_start is 1024 (publishing ports below it fails rootless",
            ["sysctl"],
            id="the default 1024",
        ),
        pytest.param(
            {PORTS: "1024\n"},
            "warn",
            "although /etc/sysctl.d/90-rootless-ports.conf:1 sets 80: the setting was never applied",
            ["sysctl-apply"],
            id="configured but not applied",
        ),
        pytest.param({PORTS: "0\n"}, "ok", "= 0", [], id="every port allowed"),
        pytest.param({PORTS: None}, "skip", "not applicable", [], id="kernel without the knob"),
    ],
)
def test_unprivileged_ports(
    tmp_path: Path, files: dict, status: str, expected: str, templates: list
) -> None:
    finding = check_case(tmp_path, "unprivileged-ports", files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)
    assert fix_templates(finding) == templates


@pytest.mark.parametrize(
    ("files", "status", "expected"),
    [
        pytest.param(
            {},
            "ok",
            "podman's built-in default sets net.ipv4.ping_group_range=0 0",
            id="built-in default",
        ),
        pytest.param(
            {
                "/usr/share/containers/containers.conf": '[containers]\ndefault_sysctls = ["net.ipv4.ping_group_range=0 0"]\n'
            },
            "ok",
            "containers.conf sets net.ipv4.ping_group_range=0 0 in every container",
            id="set in containers.conf",
        ),
        pytest.param(
            {
                "/etc/containers/containers.conf": '[containers]\ndefault_sysctls = ["net.ipv4.ip_forward=1"]\n'
            },
            "warn",
            "overrides default_sysctls without net.ipv4.ping_group_range",
            id="overridden without it",
        ),
        pytest.param(
            {"/proc/sys/net/ipv4/ping_group_range": "1\t0\n"},
            "ok",
            "ping in --network=host containers fails for gid 1000",
            id="host range excludes the user",
        ),
    ],
)
def test_ping_group_range(tmp_path: Path, files: dict, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "ping-group-range", files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)
