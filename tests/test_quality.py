"""The code base stays lint-clean, formatted and type-clean (mypy strict on library code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import require

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGES = ("doctor", "migrate", "engine", "templates")


def _tool(name: str) -> str:
    path = BIN / name
    require(path.exists(), f"{name} is not installed in the test venv (pip install -e '.[test]')")
    return str(path)


def test_ruff_lint_is_clean() -> None:
    res = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format_is_clean() -> None:
    res = subprocess.run(
        [_tool("ruff"), "format", "--check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def _typecheck_tree(base: Path) -> Path:
    """Mirror the installed layout (rootless/, rootless/doctor -> doctor/, ...) with symlinks,
    so mypy sees the same module names the package-dir mapping produces."""
    pkg = base / "rootless"
    pkg.mkdir(parents=True)
    for item in (ROOT / "rootless").iterdir():
        if item.name != "__pycache__":
            (pkg / item.name).symlink_to(item)
    for name in PACKAGES:
        (pkg / name).symlink_to(ROOT / name)
    return base


@pytest.mark.slow
def test_mypy_strict_on_library_code(tmp_path: Path) -> None:
    tree = _typecheck_tree(tmp_path)
    res = subprocess.run(
        [
            _tool("mypy"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "-p",
            "rootless",
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": ""},
    )
    assert res.returncode == 0, res.stdout + res.stderr
