"""`pip install .` and `pip install -e .` both work from a fresh venv, and nothing generic
(doctor, engine, templates, ...) lands at the top of site-packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERIC = ("doctor", "migrate", "engine", "templates")

pytestmark = [pytest.mark.packaging, pytest.mark.slow]


def _run(argv: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("editable", [False, True], ids=["pip install .", "pip install -e ."])
def test_install_into_fresh_venv(tmp_path: Path, editable: bool) -> None:
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    target = ["-e", str(ROOT)] if editable else [str(ROOT)]
    res = _run([str(venv / "bin/pip"), "install", "-q", *target], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr

    # from a directory outside the checkout, so the source tree cannot shadow the install
    res = _run([str(venv / "bin/rootless"), "--version"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("rootless ")

    probe = (
        "import importlib, importlib.resources, json\n"
        "mods = {n: importlib.import_module('rootless.' + n).__file__ for n in "
        f"{GENERIC!r}}}\n"
        "tpl = sorted(p.name for p in importlib.resources.files('rootless.templates').iterdir())\n"
        "print(json.dumps({'mods': mods, 'templates': tpl}))\n"
    )
    res = _run([str(venv / "bin/python"), "-c", probe], tmp_path)
    assert res.returncode == 0, res.stderr
    import json

    info = json.loads(res.stdout)
    for name, path in info["mods"].items():
        expected_root = ROOT if editable else venv
        assert Path(path).is_relative_to(expected_root), (name, path)
        assert Path(path).parent.name == name

    site = next((venv / "lib").glob("python3*/site-packages"))
    for name in GENERIC:
        assert not (site / name).exists(), f"generic top-level package {name!r} installed"
    if not editable:
        assert (site / "rootless" / "doctor" / "__init__.py").exists()
        shipped = {p.name for p in (site / "rootless" / "templates").iterdir()}
        in_repo = {p.name for p in (ROOT / "templates").iterdir() if p.suffix == ".j2"}
        assert in_repo <= shipped
