from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

REG = "/etc/containers/registries.conf"
USER_REG = "/home/alice/.config/containers/registries.conf"


@pytest.mark.parametrize(
    ("files", "status", "expected"),
    [
        pytest.param(
            {REG: 'unqualified-search-registries = ["docker.io"]\n'},
            "ok",
            "short names are searched on docker.io",
            id="Docker Hub",
        ),
        pytest.param(
            {REG: "# nothing\n", "/etc/containers/registries.conf.d/000-shortnames.conf": None},
            "warn",
            "no unqualified-search registries: no name has an alias",
            id="Debian's default",
        ),
        pytest.param(
            {REG: "# nothing\n"},
            "warn",
            "only the 3 names with an alias resolve",
            id="aliases only",
        ),
        pytest.param(
            {}, "warn", "3 search registries with short-name-mode enforcing", id="RHEL's default"
        ),
        pytest.param(
            {
                REG: 'unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "permissive"\n'
            },
            "ok",
            "quay.io, docker.io (short-name-mode permissive)",
            id="several registries, permissive",
        ),
        pytest.param(
            {REG: "[registries.search]\nregistries = ['docker.io']\n"},
            "ok",
            "searched on docker.io",
            id="the old v1 format",
        ),
        pytest.param(
            {USER_REG: 'unqualified-search-registries = ["ghcr.io"]\n'},
            "ok",
            "searched on ghcr.io",
            id="the user's file replaces the system one",
        ),
        pytest.param(
            {
                "/etc/containers/registries.conf.d/50-hub.conf": 'unqualified-search-registries = ["docker.io"]\n'
            },
            "ok",
            "searched on docker.io",
            id="a drop-in overrides the main file",
        ),
        pytest.param(
            {REG: "[registries.search]\nregistries = [docker.io:5000]\n"},
            "fail",
            "podman cannot read its registries configuration: /etc/containers/registries.conf",
            id="invalid TOML",
        ),
    ],
)
def test_short_name_resolution(tmp_path: Path, files: dict, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "short-name-resolution", files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_fix_adds_docker_hub_as_a_drop_in(tmp_path: Path) -> None:
    finding = check_case(tmp_path, "short-name-resolution", files={REG: "# nothing\n"})
    assert fix_templates(finding) == ["registries-search"]
