"""The driver's hook dispatch skips hooks by gates (program word, action, options present,
management noun, region origin). A gate must never hide a result: every file migrates
exactly as it does when every hook of the right scope runs on every command."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rootless.migrate import Settings, fix_bytes
from rootless.migrate import driver as drv
from rootless.migrate.registry import all_rules

DATA = Path(__file__).parent / "data"
BENCH = Path(__file__).resolve().parents[2] / "bench" / "migrate_bench.py"
SUFFIXES = (".expected", ".findings", ".generated")
SETTINGS = (
    Settings(cgroup_v2=False),
    Settings(cgroup_v2=None, image_mode="suggest", edit_units=True),
)


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: the generated scripts of the property tests
script = _load(Path(__file__).with_name("test_properties.py"), "_dispatch_props").script


def _ungated(settings: Settings, dual: bool) -> drv._Dispatch:
    rules = drv._enabled_rules(settings)
    return drv._Dispatch(tuple(r for r in rules if not (r.renames_engine and dual)), gated=False)


def _both(data: bytes, path: str, s: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    gated = fix_bytes(data, path=path, settings=s)
    with monkeypatch.context() as m:
        m.setattr(drv, "_dispatch", _ungated)
        full = fix_bytes(data, path=path, settings=s)
    assert gated == full


def _bench_files() -> list[tuple[str, bytes]]:
    """A few hundred files of every kind from the benchmark's generator."""
    bench = _load(BENCH, "_dispatch_bench")
    rng = random.Random(3)
    out = []
    for i in range(40):
        size = rng.randint(300, 3000)
        out += [
            (f"deploy{i}.sh", bench._shell(rng, size, docker=True)),
            (f"Makefile{i}.mk", bench._makefile(rng, size, docker=True)),
            (f"team{i}.aliases.bash", bench._rc(rng, size // 4)),
            (f"jobs{i}.cron", bench._cron(rng)),
            (f"docker-compose.{i}.yml", bench._compose(rng, size)),
            (f".github/workflows/ci{i}.yml", bench._workflow(rng, size)),
            (f"Dockerfile.{i}", bench._dockerfile(rng)),
            (f"svc{i}.service", bench._unit(rng)),
        ]
    return [(p, t.encode()) for p, t in out]


def test_gated_rules_declare_only_what_their_hooks_need() -> None:
    for r in all_rules():
        if r.options is not None or r.nouns is not None:
            assert r.on_command is not None, r.id
            assert r.scope == "engine", r.id
        if r.programs is not None:
            assert r.scope == "any", r.id


@pytest.mark.parametrize(
    "case",
    sorted(p for p in DATA.rglob("*") if p.is_file() and not p.name.endswith(SUFFIXES)),
    ids=lambda p: p.relative_to(DATA).as_posix(),
)
def test_golden_files_migrate_the_same_with_every_hook_run(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for s in SETTINGS:
        _both(case.read_bytes(), case.relative_to(DATA).as_posix(), s, monkeypatch)


def test_benchmark_corpus_files_migrate_the_same_with_every_hook_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = _bench_files()
    assert len(files) == 320
    for path, data in files:
        _both(data, path, SETTINGS[0], monkeypatch)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script())
def test_generated_scripts_migrate_the_same_with_every_hook_run(data: bytes) -> None:
    with pytest.MonkeyPatch.context() as m:
        for path in ("x.sh", "Makefile", "backup.cron"):
            _both(data, path, SETTINGS[0], m)
