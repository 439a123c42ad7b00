"""`subid-ranges`: presence, size, own uid, overlaps, malformed lines, and the computed fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

GOOD = "alice:100000:65536\nbob:165536:65536\n"


def both(text: str) -> dict[str, str]:
    return {"/etc/subuid": text, "/etc/subgid": text}


@pytest.mark.parametrize(
    ("files", "status", "expected"),
    [
        pytest.param(
            both(GOOD), "ok", "alice has 65536 private sub-ids", id="a private 65536 range"
        ),
        pytest.param(
            both("# comment\n\n1000:100000:65536\n"),
            "ok",
            "alice has 65536",
            id="a numeric uid line counts",
        ),
        pytest.param(
            both("alice:100000:30000\nalice:300000:40000\n"),
            "ok",
            "100000-129999, 300000-339999",
            id="two ranges add up",
        ),
        pytest.param(
            both("bob:165536:65536\n"),
            "fail",
            "/etc/subuid has no range for alice (uid 1000)",
            id="no line for the user",
        ),
        pytest.param(
            both("alice:100000:1000\n"),
            "fail",
            "alice has only 1000 subuids",
            id="a range too small",
        ),
        pytest.param(
            both("alice:1000:65536\n"),
            "fail",
            "range 1000-66535 contains alice's own uid 1000",
            id="range holds own uid",
        ),
        pytest.param(
            both("alice:100000:65536\n1000:150000:65536\n"),
            "fail",
            "alice's ranges at lines 1 and 2 overlap",
            id="name and uid lines overlap each other",
        ),
        pytest.param(
            both("alice:100000:65536\nbob:150000:65536\n"),
            "warn",
            "overlaps bob's range 150000-215535 (line 2)",
            id="overlaps another user",
        ),
        pytest.param(
            {"/etc/subuid": "alice:100000:65536\n", "/etc/subgid": "bob:100000:65536\n"},
            "fail",
            "/etc/subgid has no range for alice",
            id="only subuid has a line",
        ),
        pytest.param(
            {"/etc/subuid": None}, "fail", "/etc/subuid does not exist", id="file missing"
        ),
        pytest.param(
            both("alice:100000:65536\ncarol:200000\n"),
            "fail",
            "/etc/subuid:2: expected owner:start:count, found 2 field(s) ('carol:200000'): podman rejects the whole file",
            id="a two-field line anywhere breaks podman",
        ),
        pytest.param(
            both("alice:100000:65536\ncarol:x:65536\n"),
            "warn",
            "/etc/subuid:2: start and count must be decimal numbers",
            id="bad numbers on another user's line only warn",
        ),
        pytest.param(
            both("alice:abc:65536\n"),
            "fail",
            "your line is malformed",
            id="bad numbers on the user's own line fail",
        ),
        pytest.param(
            both("alice:0:65536\n"),
            "fail",
            "contains alice's own uid",
            id="range from 0 contains root and the user",
        ),
    ],
)
def test_subid_ranges(tmp_path: Path, files: dict, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "subid-ranges", files=files)
    assert finding.status.value == status
    assert expected in text_of(finding)


@pytest.mark.parametrize(
    ("files", "start"),
    [
        pytest.param(
            {"/etc/subuid": "", "/etc/subgid": ""}, 100000, id="empty files: the first slot"
        ),
        pytest.param(both("bob:100000:65536\n"), 165536, id="skips another user's range"),
        pytest.param(
            {"/etc/subuid": "bob:100000:65536\n", "/etc/subgid": "carol:165536:70000\n"},
            296608,
            id="taken in either file counts",
        ),
        pytest.param(
            both("alice:100000:1000\n"),
            100000,
            id="the user's own too-small range may be extended in place",
        ),
    ],
)
def test_fix_uses_a_computed_free_range(tmp_path: Path, files: dict, start: int) -> None:
    finding = check_case(tmp_path, "subid-ranges", files=files)
    assert fix_templates(finding) == ["subids", "podman-system-migrate"]
    assert finding.fix.steps[0].context == {
        "user": "alice",
        "uid": 1000,
        "start": start,
        "count": 65536,
    }


def test_free_range_avoids_real_accounts(tmp_path: Path) -> None:
    passwd = (
        Path(__file__).parent / "hosts/rhel9-ok/root/etc/passwd"
    ).read_text() + "svc:x:120000:120000::/:/sbin/nologin\n"
    finding = check_case(
        tmp_path,
        "subid-ranges",
        files={"/etc/subuid": "", "/etc/subgid": "", "/etc/passwd": passwd},
    )
    assert finding.fix.steps[0].context["start"] == 165536


def test_malformed_file_fix_comments_lines_out(tmp_path: Path) -> None:
    finding = check_case(tmp_path, "subid-ranges", files=both("alice:100000:65536\ncarol:200000\n"))
    assert fix_templates(finding) == ["subid-clean", "subid-clean", "podman-system-migrate"]
    assert [s.context["file"] for s in finding.fix.steps[:2]] == ["/etc/subuid", "/etc/subgid"]
