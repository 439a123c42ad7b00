from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, run_one, variant


@pytest.mark.parametrize(
    ("config", "status", "summary"),
    [
        pytest.param(
            {}, "ok", "running as alice (uid 1000)", id="a normal user is checked as themselves"
        ),
        pytest.param(
            {"user": {"name": "root", "uid": 0, "gid": 0}},
            "fail",
            "running as root",
            id="root without --user is refused",
        ),
        pytest.param(
            {"user": {"impersonated": True}},
            "ok",
            "checking alice (uid 1000) from root",
            id="root checking alice says what it cannot see",
        ),
    ],
)
def test_not_root(tmp_path: Path, config: dict, status: str, summary: str) -> None:
    finding = check_case(tmp_path, "not-root", config=config)
    assert finding.status.value == status
    assert summary in finding.summary


def test_user_checks_are_skipped_for_root(tmp_path: Path) -> None:
    host = variant(tmp_path, "rhel9-ok", config={"user": {"name": "root", "uid": 0, "gid": 0}})
    finding = run_one(host, "subid-ranges")
    assert finding.status.value == "skip"
    assert finding.summary == "skipped: needs not-root (fail)"
