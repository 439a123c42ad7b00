from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of


@pytest.mark.parametrize(
    ("base", "config", "status", "expected"),
    [
        pytest.param(
            "rhel9-ok",
            {},
            "ok",
            "/run/user/1000 is a private tmpfs directory",
            id="a logind session",
        ),
        pytest.param(
            "rhel9-ok",
            {"env": {"XDG_RUNTIME_DIR": None}},
            "fail",
            "XDG_RUNTIME_DIR is not set (typical after `su -`",
            id="su - leaves it unset",
        ),
        pytest.param(
            "rhel9-ok",
            {"env": {"XDG_RUNTIME_DIR": "/run/user/4242"}},
            "fail",
            "does not exist",
            id="stale directory",
        ),
        pytest.param(
            "rhel9-ok",
            {"files": {"/run/user/1000": {"uid": 0}}},
            "fail",
            "belongs to uid 0, not alice",
            id="someone else's runtime dir",
        ),
        pytest.param(
            "rhel9-ok",
            {"files": {"/run/user/1000": {"mode": 0o755}}},
            "warn",
            "has mode 0755",
            id="not private",
        ),
        pytest.param(
            "rhel9-ok",
            {"env": {"XDG_RUNTIME_DIR": "/home/alice"}},
            "warn",
            "is on xfs (/), not tmpfs",
            id="runtime dir on disk survives reboots",
        ),
        pytest.param(
            "alpine-openrc",
            {},
            "warn",
            "XDG_RUNTIME_DIR is not set and this host has no systemd",
            id="OpenRC has no logind",
        ),
    ],
)
def test_runtime_dir(tmp_path: Path, base: str, config: dict, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "runtime-dir", base=base, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_openrc_fix_creates_the_directory_at_boot(tmp_path: Path) -> None:
    finding = check_case(tmp_path, "runtime-dir", base="alpine-openrc")
    assert fix_templates(finding) == ["runtime-dir-openrc", "profile-line"]
    assert [s.part for s in finding.fix.steps] == ["root", "user"]
