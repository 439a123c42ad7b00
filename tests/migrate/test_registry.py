"""The rule and file-kind registries: explicit, complete, stable ids, every rule tested."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from rootless.migrate import list_rules
from rootless.migrate.kinds import KINDS
from rootless.migrate.registry import DRIVER_NOTES, ID_RE

RULE_TESTS = Path(__file__).parent / "rules"


def test_every_rule_module_is_registered():
    pkg = importlib.import_module("rootless.migrate.rules")
    modules = {m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")}
    registered = {type(r).__module__ for r in list_rules()}  # all Rule
    listed = {
        name
        for name in modules
        if getattr(importlib.import_module(f"rootless.migrate.rules.{name}"), "RULE", None)
        in list_rules()
    }
    assert listed == modules, modules - listed
    assert registered == {"rootless.migrate.registry"}


def test_rule_ids_are_unique_kebab_case_and_documented():
    ids = [r.id for r in list_rules()]
    assert len(ids) == len(set(ids))
    assert not set(ids) & set(DRIVER_NOTES)
    for r in list_rules():
        assert ID_RE.match(r.id), r.id
        assert r.summary
        assert "\n" not in r.summary
        assert "->" in r.example, r.id
        assert "\n" not in r.example, r.id
        assert r.link.startswith("https://"), r.id
        assert (
            r.on_command or r.on_assignment or r.on_document or r.on_structure
        ) or r.id == "dual-engine"
        assert bool(r.on_structure) == bool(r.structures), r.id


def _test_text() -> str:
    return "".join(p.read_text() for p in RULE_TESTS.glob("test_*.py"))


@pytest.mark.parametrize("rule", [r.id for r in list_rules()])
def test_every_rule_has_cases_in_the_rule_tests(rule):
    assert (
        re.search(rf'["\']{re.escape(rule)}["\']', _test_text())
        or (RULE_TESTS / f"test_{rule.replace('-', '_')}.py").exists()
    ), rule


def test_no_op_cases_are_at_least_as_many_as_fix_cases():
    for path in RULE_TESTS.glob("test_*.py"):
        text = path.read_text()
        ns: dict[str, object] = {}
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec
        assert spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        ns = vars(mod)
        fixes = len(ns.get("FIXES", [])) + len(ns.get("WARNS", []))  # type: ignore[arg-type]
        noops = len(ns.get("NOOPS", [])) + len(ns.get("SINGLE", []))  # type: ignore[arg-type]
        assert noops >= fixes or "FIXES" not in text, (path.name, fixes, noops)


def test_file_kinds_have_unique_ids():
    ids = [k.id for k in KINDS]
    assert len(ids) == len(set(ids))
    for k in KINDS:
        assert ID_RE.match(k.id)
