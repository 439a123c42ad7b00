"""`rootless migrate` on compose files, units, Dockerfiles and CI configs: diff and write
modes, Quadlet files printed or written, --edit-units, JSON, and a whole project tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rootless import entry
from rootless.exitcodes import ExitCode
from rootless.migrate.unitfile import check_quadlet

DATA = Path(__file__).parent / "data"
UNIT = (
    "[Unit]\nDescription=redis\nAfter=docker.service\n\n[Service]\n"
    "ExecStart=/usr/bin/docker run --rm --name redis -p 6379:6379 redis:7\n\n"
    "[Install]\nWantedBy=multi-user.target\n"
)


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = entry.main(["migrate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_unit_prints_its_quadlet_file_as_a_new_file_diff(tmp_path, capsys):
    f = tmp_path / "redis.service"
    f.write_text(UNIT)
    code, out, _ = run(capsys, str(f))
    assert code == ExitCode.FINDINGS
    assert "--- /dev/null\n+++ ~/.config/containers/systemd/redis.container\n" in out
    assert "+Image=docker.io/library/redis:7\n" in out
    assert "systemctl --user daemon-reload" in out
    assert "enable-linger" in out
    assert "1 Quadlet file(s) generated" in out
    assert f.read_text() == UNIT


def test_check_fails_on_a_docker_unit_and_writes_nothing(tmp_path, capsys):
    f = tmp_path / "redis.service"
    f.write_text(UNIT)
    code, out, _ = run(capsys, "--check", str(f))
    assert code == ExitCode.FINDINGS
    assert "+Image" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redis.service"]


def test_write_with_quadlet_dir_writes_a_valid_quadlet_and_keeps_the_unit(tmp_path, capsys):
    f = tmp_path / "redis.service"
    f.write_text(UNIT)
    qdir = tmp_path / "config" / "containers" / "systemd"
    code, out, _ = run(capsys, "--write", "--quadlet-dir", str(qdir), str(f))
    assert code == ExitCode.FINDINGS  # the docker unit is still there: disable it
    written = qdir / "redis.container"
    assert f"wrote {written}" in out
    assert check_quadlet(written.read_text()) == []
    assert oct(written.stat().st_mode & 0o777) == "0o644"
    assert f.read_text() == UNIT
    # running again writes the same file
    before = written.read_text()
    run(capsys, "--write", "--quadlet-dir", str(qdir), str(f))
    assert written.read_text() == before


def test_quadlet_dir_without_write_is_a_usage_error(tmp_path, capsys):
    f = tmp_path / "redis.service"
    f.write_text(UNIT)
    code, _, err = run(capsys, "--quadlet-dir", str(tmp_path), str(f))
    assert code == ExitCode.USAGE
    assert "--write" in err


def test_edit_units_rewrites_the_unit_in_place(tmp_path, capsys):
    f = tmp_path / "redis.service"
    f.write_text(UNIT)
    code, _, _ = run(capsys, "--write", "--edit-units", str(f))
    assert code == ExitCode.FINDINGS
    assert (
        "ExecStart=/usr/bin/podman run --rm --name redis -p 6379:6379 docker.io/library/redis:7"
        in f.read_text()
    )
    code, _, _ = run(capsys, "--check", "--edit-units", str(f))
    assert code == ExitCode.OK  # a podman unit: the Quadlet is a suggestion only


def test_json_carries_generated_files(tmp_path, capsys):
    f = tmp_path / "redis.service"
    f.write_text(UNIT)
    _code, out, _ = run(capsys, "--json", str(f))
    doc = json.loads(out)
    (entry_,) = doc["files"]
    (gen,) = entry_["generated"]
    assert gen["name"] == "redis.container"
    assert gen["pending"] is True
    assert gen["line"] == 6
    assert gen["path"].endswith("/.config/containers/systemd/redis.container")
    assert doc["summary"]["generated"] == 1
    assert check_quadlet(gen["content"]) == []


def test_write_on_compose_keeps_everything_outside_the_edits(tmp_path, capsys):
    src = DATA / "compose" / "proxy" / "docker-compose.yml"
    f = tmp_path / "docker-compose.yml"
    shutil.copy(src, f)
    code, _, _ = run(capsys, "--write", str(f))
    assert code == ExitCode.FINDINGS
    assert f.read_bytes() == (src.parent / "docker-compose.yml.expected").read_bytes()
    code, _, _ = run(capsys, "--check", str(f))
    assert code == ExitCode.OK  # idempotent: warnings remain, nothing to change


def test_a_project_tree_with_every_kind(tmp_path, capsys):
    proj = tmp_path / "proj"
    shutil.copytree(DATA, proj)
    for p in proj.rglob("*"):
        if p.suffix in (".expected", ".findings", ".generated"):
            p.unlink()
    code, out, _ = run(capsys, "--json", "--check", str(proj))
    doc = json.loads(out)
    kinds = {f["kind"] for f in doc["files"]}
    assert {
        "compose",
        "systemd",
        "dockerfile",
        "github-actions",
        "gitlab-ci",
        "jenkinsfile",
        "devcontainer",
        "shell",
        "makefile",
        "crontab",
        "env",
    } <= kinds
    assert doc["summary"]["generated"] == 2
    assert code == ExitCode.FINDINGS


def test_sarif_includes_structured_findings(tmp_path, capsys):
    f = tmp_path / "docker-compose.yml"
    f.write_text("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n")
    _code, out, _ = run(capsys, "--check", "--sarif", "-", str(f))
    doc = json.loads(out)
    rules = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert {"short-image-name", "privileged-port"} <= rules
