from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates


@pytest.mark.parametrize(
    ("base", "status", "summary"),
    [
        pytest.param(
            "rhel9-ok", "ok", "/ is a shared mount (shared:1)", id="systemd makes / shared"
        ),
        pytest.param(
            "alpine-openrc", "warn", '"/" is not a shared mount', id="OpenRC leaves / private"
        ),
    ],
)
def test_shared_root_mount(tmp_path: Path, base: str, status: str, summary: str) -> None:
    finding = check_case(tmp_path, "shared-root-mount", base=base)
    assert finding.status.value == status
    assert summary in finding.summary
    if status == "warn":
        assert fix_templates(finding) == ["make-root-shared"]
