"""Meta-tests over the check registry: one module per check, stable kebab-case ids, real
dependencies, declared templates that exist, and the ids the engine already names."""

from __future__ import annotations

import re
from pathlib import Path

from rootless.doctor import checks as checks_pkg
from rootless.doctor import list_checks
from rootless.doctor.fixes import step_template_names
from rootless.doctor.registry import REGISTRY, all_checks

CHECKS_DIR = Path(checks_pkg.__file__).parent
ENGINE_IDS = {"user-namespaces", "apparmor-userns", "subid-ranges", "uidmap-helpers"}


def test_every_module_is_in_the_explicit_list_once() -> None:
    modules = sorted(p.stem for p in CHECKS_DIR.glob("*.py") if p.stem != "__init__")
    listed = [m.__name__.rsplit(".", 1)[1] for m in checks_pkg.ORDER]
    assert sorted(listed) == modules
    assert len(set(listed)) == len(listed)


def test_each_module_registers_exactly_one_check_named_after_it() -> None:
    specs = all_checks()
    by_module: dict[str, list[str]] = {}
    for s in specs:
        by_module.setdefault(s.module, []).append(s.id)
    for module in checks_pkg.ORDER:
        ids = by_module.get(module.__name__, [])
        assert len(ids) == 1, (module.__name__, ids)
        assert ids[0].replace("-", "_") == module.__name__.rsplit(".", 1)[1]


def test_ids_are_unique_kebab_case_and_in_report_order() -> None:
    ids = [s.id for s in all_checks()]
    assert len(ids) == len(set(ids))
    for i in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", i), i
    assert ids[0] == "not-root"
    assert [c.id for c in list_checks()] == ids


def test_the_ids_engine_code_refers_to_exist() -> None:
    assert set(REGISTRY) >= ENGINE_IDS
    engine = Path(checks_pkg.__file__).parents[2] / "engine"
    named: set[str] = set()
    for path in engine.glob("*.py"):
        text = path.read_text()
        named |= set(re.findall(r'check_id="([a-z][a-z-]+)"', text))
        named |= set(re.findall(r"rootless doctor ([a-z][a-z-]+)", text))
        for line in text.splitlines():
            # ids appear as check_id=/check = values and as entries of the errno table
            if "check" in line or re.fullmatch(r'\s*"[a-z]+(?:-[a-z]+)+",?', line):
                named |= set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', line))
    assert named >= ENGINE_IDS, "the engine no longer names these checks; update ENGINE_IDS"
    assert named <= set(REGISTRY), named - set(REGISTRY)


def test_dependencies_name_real_checks_and_have_no_cycles() -> None:
    specs = {s.id: s for s in all_checks()}
    for s in specs.values():
        for dep in (*s.requires, *s.after):
            assert dep in specs, (s.id, dep)
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(i: str) -> None:
        assert i not in visiting, f"dependency cycle through {i}"
        if i in done:
            return
        visiting.add(i)
        for dep in (*specs[i].requires, *specs[i].after):
            visit(dep)
        visiting.discard(i)
        done.add(i)

    for i in specs:
        visit(i)


def test_declared_templates_exist_and_every_template_is_used() -> None:
    shipped = set(step_template_names())
    declared = {t for s in all_checks() for t in s.templates}
    assert declared <= shipped, declared - shipped
    assert shipped <= declared, f"templates nobody declares: {shipped - declared}"


def test_every_check_says_why_it_matters() -> None:
    for s in all_checks():
        assert len(s.why) > 40, s.id
        assert s.title, s.id
