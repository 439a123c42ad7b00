"""Sub-id file parsing, map building and free-range suggestions (pure functions)."""

from __future__ import annotations

import pytest

from rootless.engine.idmap import (
    IdMapping,
    SubIdEntry,
    build_mappings,
    helper_argv,
    parse_subid,
    suggest_free_range,
)


def test_parse_keeps_good_lines_and_reports_bad_ones_with_line_numbers() -> None:
    text = "# comment\n\nalice:100000:65536\n1001:165536:65536\nbroken\nbob:x:1\ncarol:1:0\n:5:5\nz:4294967295:2\n"
    parsed = parse_subid(text)
    assert parsed.entries == (
        SubIdEntry("alice", 100000, 65536, 3),
        SubIdEntry("1001", 165536, 65536, 4),
    )
    assert [(p.lineno, p.text) for p in parsed.problems] == [
        (5, "broken"),
        (6, "bob:x:1"),
        (7, "carol:1:0"),
        (8, ":5:5"),
        (9, "z:4294967295:2"),
    ]
    assert all(p.reason for p in parsed.problems)


@pytest.mark.parametrize("text", ["", "\n\n", "# only comments\n"])
def test_parse_empty_files(text: str) -> None:
    parsed = parse_subid(text)
    assert parsed.entries == ()
    assert parsed.problems == ()


def test_for_user_matches_name_or_numeric_uid_in_file_order() -> None:
    parsed = parse_subid("alice:100000:10\nbob:200000:10\n1000:300000:10\n")
    assert [e.start for e in parsed.for_user("alice", 1000)] == [100000, 300000]
    assert parsed.for_user("nobody", 5) == ()


def test_build_mappings_like_podman() -> None:
    ranges = (SubIdEntry("a", 100000, 65536, 1), SubIdEntry("a", 300000, 10, 2))
    assert build_mappings(1000, ranges) == (
        IdMapping(0, 1000, 1),
        IdMapping(1, 100000, 65536),
        IdMapping(65537, 300000, 10),
    )
    assert helper_argv("newuidmap", 42, build_mappings(1000, ranges[:1])) == [
        "newuidmap",
        "42",
        "0",
        "1000",
        "1",
        "1",
        "100000",
        "65536",
    ]


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        pytest.param([], 100000, id="empty host gets the useradd default"),
        pytest.param([(100000, 65536)], 165536, id="next slot after the first user"),
        pytest.param(
            [(100000, 65536), (165536, 65536), (300000, 1)], 231072, id="skips used slots"
        ),
        pytest.param([(120000, 1)], 165536, id="a real account inside the first slot"),
        pytest.param([(1000, 1), (65534, 1)], 100000, id="low accounts do not matter"),
    ],
)
def test_suggest_free_range(taken: list[tuple[int, int]], expected: int) -> None:
    start = suggest_free_range(taken)
    assert start == expected
    assert all(not (s < start + 65536 and start < s + n) for s, n in taken)
