from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of


@pytest.mark.parametrize(
    ("files", "config", "status", "expected"),
    [
        pytest.param(
            {},
            {},
            "ok",
            "the pause process (pid 4242) maps 0 1000 1, 1 100000 65536, as configured",
            id="current",
        ),
        pytest.param(
            {"/run/user/1000/libpod/tmp/pause.pid": None},
            {},
            "ok",
            "no pause process",
            id="not started yet",
        ),
        pytest.param(
            {}, {"processes": []}, "ok", "names pid 4242, which is gone", id="stale pid file"
        ),
        pytest.param(
            {"/proc/4242/uid_map": "0 1000 1\n", "/proc/4242/gid_map": "0 1000 1\n"},
            {},
            "fail",
            "the pause process (pid 4242) maps 0 1000 1, but the configured ranges give 0 1000 1, 1 100000 65536",
            id="started before the range existed",
        ),
        pytest.param(
            {},
            {"files": {"/etc/subuid": {"mtime": 1700000900.0}}},
            "warn",
            "/etc/subuid changed after the pause process (pid 4242) started",
            id="subuid edited after start",
        ),
        pytest.param(
            {"/run/user/1000/libpod/tmp/pause.pid": "garbage"},
            {},
            "warn",
            "does not hold a pid",
            id="garbage pid file",
        ),
    ],
)
def test_pause_process(
    tmp_path: Path, files: dict, config: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "pause-process", files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)
    if status in ("fail", "warn"):
        assert fix_templates(finding) == ["podman-system-migrate"]
        assert finding.fix.steps[0].part == "user"
