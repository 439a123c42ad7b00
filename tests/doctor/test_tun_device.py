from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of


@pytest.mark.parametrize(
    ("config", "probes", "status", "expected"),
    [
        pytest.param(
            {},
            True,
            "ok",
            "probe: opened /dev/net/tun in a user+network namespace and created a tap device",
            id="usable",
        ),
        pytest.param(
            {"files": {"/dev/net/tun": None}},
            True,
            "fail",
            "/dev/net/tun does not exist",
            id="module not loaded",
        ),
        pytest.param(
            {"files": {"/dev/net/tun": {"type": "file"}}},
            True,
            "fail",
            "is not a character device",
            id="not a device",
        ),
        pytest.param(
            {
                "files": {"/dev/net/tun": {"mode": 0o600}},
                "probes": {
                    "tun": {"ok": False, "error": "open /dev/net/tun: Permission denied (errno 13)"}
                },
            },
            True,
            "fail",
            "/dev/net/tun has mode 0600",
            id="root-only device node",
        ),
        pytest.param(
            {
                "probes": {
                    "tun": {
                        "ok": False,
                        "error": "create a tap device (TUNSETIFF): Operation not permitted (errno 1)",
                    }
                }
            },
            True,
            "fail",
            "probe: create a tap device (TUNSETIFF): Operation not permitted (errno 1)",
            id="the probe fails although the mode is right",
        ),
        pytest.param(
            {},
            False,
            "ok",
            "not probed: probes disabled (--no-probe)",
            id="--no-probe checks only the node",
        ),
    ],
)
def test_tun_device(tmp_path: Path, config: dict, probes: bool, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "tun-device", config=config, probes=probes)
    assert finding.status.value == status
    assert expected in text_of(finding)
    if status == "fail":
        assert fix_templates(finding) == ["tun-device"]
