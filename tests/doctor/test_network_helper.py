from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of


def podman(version: str) -> dict:
    return {
        "commands": [
            {"argv": ["/usr/bin/podman", "--version"], "stdout": f"podman version {version}\n"}
        ]
    }


@pytest.mark.parametrize(
    ("base", "files", "config", "status", "expected"),
    [
        pytest.param(
            "fedora40-filecaps",
            {},
            {},
            "ok",
            "pasta (the default of podman 5.0.2) at /usr/bin/pasta",
            id="podman 5 uses pasta",
        ),
        pytest.param(
            "fedora40-filecaps",
            {"/usr/bin/pasta": None},
            {},
            "fail",
            "could not find pasta, the network namespace can't be configured",
            id="pasta missing for podman 5",
        ),
        pytest.param(
            "rhel9-ok",
            {},
            {},
            "ok",
            "slirp4netns (the default of podman 4.9.4)",
            id="podman 4 uses slirp4netns",
        ),
        pytest.param(
            "fedora40-filecaps",
            {
                "/etc/containers/containers.conf": '[network]\ndefault_rootless_network_cmd = "slirp4netns"\n'
            },
            {},
            "fail",
            "slirp4netns (configured in containers.conf) is not installed",
            id="configured slirp4netns not installed",
        ),
        pytest.param(
            "fedora40-filecaps",
            {"/usr/bin/pasta": None, "/usr/libexec/podman/pasta": "#!/bin/sh\n"},
            {},
            "ok",
            "/usr/libexec/podman/pasta",
            id="found in podman's helper directory",
        ),
        pytest.param(
            "fedora40-filecaps",
            {"/home/alice/.config/containers/containers.conf": "[network\n"},
            {},
            "fail",
            "cannot parse containers.conf",
            id="broken containers.conf",
        ),
    ],
)
def test_network_helper(
    tmp_path: Path, *, base: str, files: dict, config: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "network-helper", base=base, files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_missing_pasta_fix_installs_passt(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path, "network-helper", base="fedora40-filecaps", files={"/usr/bin/pasta": None}
    )
    assert fix_templates(finding) == ["install-packages"]
    assert finding.fix.steps[0].context == {"component": "passt"}
