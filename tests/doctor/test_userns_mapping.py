"""`userns-mapping` (probe), against scripted probe results; the real probe runs in test_real_host."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, text_of, variant

from rootless.doctor.checks.userns_mapping import format_map, parse_id_map

HELPER_ERROR = "newuidmap failed: newuidmap: write to uid_map failed: Operation not permitted"


@pytest.mark.parametrize(
    ("base", "config", "probes", "status", "expected"),
    [
        pytest.param(
            "rhel9-ok",
            {},
            True,
            "ok",
            "uid_map reads back 0 1000 1, 1 100000 65536 (65537 ids, as configured)",
            id="full range maps",
        ),
        pytest.param(
            "rhel9-ok",
            {
                "probes": {
                    "userns": {"ok": False, "error": HELPER_ERROR, "check_id": "uidmap-helpers"}
                }
            },
            True,
            "fail",
            "| " + HELPER_ERROR,
            id="helper stderr is reported verbatim",
        ),
        pytest.param(
            "rhel9-ok",
            {"probes": {"userns": {"output": "0 1000 1\n--\n0 1000 1\n"}}},
            True,
            "fail",
            "the namespace got uid_map 0 1000 1 instead of 0 1000 1, 1 100000 65536",
            id="a single mapping instead of the range",
        ),
        pytest.param(
            "arch-empty-subuid", {}, True, "skip", "no sub-id range to map", id="nothing to map"
        ),
        pytest.param(
            "debian12-no-uidmap",
            {},
            True,
            "skip",
            "newuidmap/newgidmap are not installed or not on $PATH",
            id="no helpers",
        ),
        pytest.param(
            "rhel9-ok", {}, False, "skip", "probes disabled (--no-probe)", id="--no-probe"
        ),
        pytest.param(
            "debian12-root-checks-alice",
            {},
            True,
            "skip",
            "probes must run as alice itself",
            id="root checking alice",
        ),
    ],
)
def test_userns_mapping(
    tmp_path: Path, *, base: str, config: dict, probes: bool, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "userns-mapping", base=base, config=config, probes=probes)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_failure_names_the_check_that_explains_it(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path,
        "userns-mapping",
        config={
            "probes": {
                "userns": {"ok": False, "error": "newuidmap failed: x", "check_id": "subid-ranges"}
            }
        },
    )
    assert "explained by: rootless doctor subid-ranges" in finding.details
    assert finding.data["check_id"] == "subid-ranges"


def test_the_probe_runs_once_with_the_full_plan(tmp_path: Path) -> None:
    host = variant(tmp_path, "rhel9-ok")
    from rootless.doctor import diagnose

    diagnose(host, ["userns-mapping", "overlay-mount", "tun-device"])
    probes = [c for c in host.calls if c.startswith("probe namespace")]
    assert probes == [
        "probe namespace mode=full overlay_dir=/home/alice/.local/share/containers/storage"
    ]


def test_id_map_parsing() -> None:
    maps = parse_id_map(
        "         0       1000          1\n         1     100000      65536\ngarbage\n"
    )
    assert format_map(maps) == "0 1000 1, 1 100000 65536"
    assert format_map(()) == "(empty)"
