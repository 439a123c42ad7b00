from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates


@pytest.mark.parametrize(
    ("base", "files", "config", "status", "expected"),
    [
        pytest.param(
            "rhel9-ok",
            {},
            {},
            "ok",
            "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
            id="address in the environment",
        ),
        pytest.param(
            "rhel9-ok",
            {},
            {"env": {"DBUS_SESSION_BUS_ADDRESS": None}},
            "ok",
            "the user bus socket /run/user/1000/bus exists",
            id="socket without the variable",
        ),
        pytest.param(
            "rhel9-ok",
            {"/run/user/1000/bus": None},
            {"env": {"DBUS_SESSION_BUS_ADDRESS": None}},
            "warn",
            "no user D-Bus session",
            id="no user bus",
        ),
        pytest.param(
            "alpine-openrc", {}, {}, "skip", "not applicable", id="no systemd, nothing to check"
        ),
    ],
)
def test_user_session_bus(
    tmp_path: Path, *, base: str, files: dict, config: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "user-session-bus", base=base, files=files, config=config)
    assert finding.status.value == status
    assert expected in finding.summary
    if status == "warn":
        assert fix_templates(finding) == ["install-packages", "note"]
