"""Whole-file golden pairs: realistic scripts, Makefiles, rc files, crontabs and env files.

Each input ``data/<name>`` has ``data/<name>.expected`` (the migrated file) and
``data/<name>.findings`` (one ``line:column severity rule`` per finding), derived from the
input's name. ``ROOTLESS_REGEN=1 pytest tests/migrate/test_golden.py`` rewrites them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rootless.migrate import Settings, fix_bytes
from rootless.migrate.shell import count_errors

DATA = Path(__file__).parent / "data"
SUFFIXES = (".expected", ".findings", ".generated")
SETTINGS = Settings(cgroup_v2=False)
REGEN = bool(os.environ.get("ROOTLESS_REGEN"))

CASES = sorted(p for p in DATA.rglob("*") if p.is_file() and not p.name.endswith(SUFFIXES))


def _id(p: Path) -> str:
    return p.relative_to(DATA).as_posix()


def _findings_text(result) -> str:
    return "".join(
        f"{f.line}:{f.column} {f.severity.value}{'' if f.applied or f.severity.value not in ('fix', 'review') else ' (not applied)'} {f.rule}\n"
        for f in result.findings
    )


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_golden_pair(case: Path) -> None:
    data = case.read_bytes()
    result = fix_bytes(data, path=_id(case), settings=SETTINGS)
    expected_path = case.with_name(case.name + ".expected")
    findings_path = case.with_name(case.name + ".findings")
    if REGEN:
        expected_path.write_bytes(result.fixed)
        findings_path.write_text(_findings_text(result))
    generated_path = case.with_name(case.name + ".generated")
    generated = "".join(f"==> {g.name} <==\n{g.content}" for g in result.generated)
    if REGEN:
        if generated:
            generated_path.write_text(generated)
        elif generated_path.exists():
            generated_path.unlink()
    assert result.fixed == expected_path.read_bytes()
    assert _findings_text(result) == findings_path.read_text()
    assert generated == (generated_path.read_text() if generated_path.exists() else "")
    for g in result.generated:
        from rootless.migrate.unitfile import check_quadlet

        assert check_quadlet(g.content) == [], g.name


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_golden_output_is_stable(case: Path) -> None:
    """Running on the migrated file changes nothing (idempotence)."""
    expected = case.with_name(case.name + ".expected").read_bytes()
    again = fix_bytes(expected, path=_id(case), settings=SETTINGS)
    assert again.fixed == expected
    # a unit keeps producing its Quadlet file (the unit is not edited without
    # --edit-units); the file must be the same each time
    assert not [f for f in again.findings if f.applied and f.rule != "quadlet-unit"]
    first = fix_bytes(case.read_bytes(), path=_id(case), settings=SETTINGS)
    assert again.generated == first.generated


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_golden_without_final_newline(case: Path) -> None:
    data = case.read_bytes().rstrip(b"\n")
    expected = case.with_name(case.name + ".expected").read_bytes().rstrip(b"\n")
    assert fix_bytes(data, path=_id(case), settings=SETTINGS).fixed == expected


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_golden_with_crlf_keeps_every_carriage_return(case: Path) -> None:
    data = case.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    result = fix_bytes(data, path=_id(case), settings=SETTINGS)
    # no line lost its carriage return and no bare newline was introduced
    assert result.fixed.count(b"\n") == result.fixed.count(b"\r\n")
    # every byte outside an edit is untouched
    pos = 0
    for e in result.edits:
        assert data[pos : e.start] in result.fixed
        pos = e.end


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.suffix == ".sh" or c.name == "bashrc"], ids=_id
)
def test_golden_shell_output_parses_as_well_as_the_input(case: Path) -> None:
    data = case.read_bytes()
    expected = case.with_name(case.name + ".expected").read_bytes()
    assert count_errors(expected) <= count_errors(data)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.suffix in (".yml", ".yaml", ".json")], ids=_id
)
def test_golden_yaml_same_with_the_pure_python_parser(case: Path, monkeypatch) -> None:
    """libyaml (ruamel.yaml.clib) is only a faster way to the same spans."""
    import sys

    monkeypatch.setitem(sys.modules, "_ruamel_yaml", None)  # import fails: pure parser
    result = fix_bytes(case.read_bytes(), path=_id(case), settings=SETTINGS)
    assert result.fixed == case.with_name(case.name + ".expected").read_bytes()
    assert _findings_text(result) == case.with_name(case.name + ".findings").read_text()
