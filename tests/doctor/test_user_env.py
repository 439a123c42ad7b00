from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of


@pytest.mark.parametrize(
    ("env", "status", "expected"),
    [
        pytest.param({}, "ok", "$USER is alice", id="USER and HOME match"),
        pytest.param(
            {"USER": None}, "ok", "$USER is not set; podman falls back", id="unset USER is fine"
        ),
        pytest.param(
            {"USER": "bob"},
            "warn",
            "podman maps bob's sub-ids for alice",
            id="stale USER of a user with a range",
        ),
        pytest.param(
            {"USER": "carol"},
            "warn",
            "podman finds no sub-id range for 'carol'",
            id="stale USER without a range means single mapping",
        ),
        pytest.param(
            {"HOME": "/root"},
            "warn",
            "$HOME is /root but alice's home is /home/alice",
            id="stale HOME",
        ),
    ],
)
def test_user_env(tmp_path: Path, env: dict, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "user-env", config={"env": env})
    assert finding.status.value == status
    assert expected in text_of(finding)
    if status == "warn":
        assert fix_templates(finding) == ["note"]


def test_another_users_environment_is_not_judged(tmp_path: Path) -> None:
    finding = check_case(tmp_path, "user-env", config={"user": {"impersonated": True}})
    assert finding.status.value == "skip"
