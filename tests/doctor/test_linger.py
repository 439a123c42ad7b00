from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates


@pytest.mark.parametrize(
    ("base", "files", "status"),
    [
        pytest.param("rhel9-ok", {}, "ok", id="linger enabled"),
        pytest.param("rhel9-ok", {"/var/lib/systemd/linger/alice": None}, "warn", id="linger off"),
        pytest.param("alpine-openrc", {}, "skip", id="no systemd"),
    ],
)
def test_linger(tmp_path: Path, base: str, files: dict, status: str) -> None:
    finding = check_case(tmp_path, "linger", base=base, files=files)
    assert finding.status.value == status
    if status == "warn":
        assert fix_templates(finding) == ["linger"]
        assert finding.fix.steps[0].context == {"user": "alice"}
