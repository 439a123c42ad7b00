"""`rootless migrate` on real files: exit codes per mode, byte-exact writes, skipped files,
JSON and SARIF output."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from rootless import entry
from rootless.exitcodes import ExitCode
from rootless.migrate.registry import all_rules

ROOT = Path(__file__).resolve().parents[2]
DOCKERY = b"#!/bin/sh\nsudo docker run --rm -p 8080:80 nginx\n"
CLEAN = b"#!/bin/sh\npodman ps\n"


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = entry.main(["migrate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_default_mode_shows_a_diff_and_changes_nothing(tmp_path, capsys):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)
    code, out, _ = run(capsys, str(f))
    assert code == ExitCode.FINDINGS
    assert "-sudo docker run --rm -p 8080:80 nginx" in out
    assert "+podman run --rm -p 8080:80 docker.io/library/nginx" in out
    assert "sudo-docker" in out
    assert "docker-command" in out
    assert f.read_bytes() == DOCKERY


def test_default_mode_on_a_clean_file_exits_0(tmp_path, capsys):
    f = tmp_path / "ok.sh"
    f.write_bytes(CLEAN)
    code, out, _ = run(capsys, str(f))
    assert code == ExitCode.OK
    assert "0 would change" in out


def test_check_exits_1_without_writing_or_diffing(tmp_path, capsys):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)
    code, out, _ = run(capsys, "--check", str(f))
    assert code == ExitCode.FINDINGS
    assert "+podman" not in out
    assert f.read_bytes() == DOCKERY
    g = tmp_path / "ok.sh"
    g.write_bytes(CLEAN)
    assert run(capsys, "--check", str(g))[0] == ExitCode.OK


def test_warnings_alone_do_not_fail_check(tmp_path, capsys):
    f = tmp_path / "w.sh"
    f.write_bytes(b"podman run --restart always docker.io/library/nginx\n")
    code, out, _ = run(capsys, "--check", str(f))
    assert code == ExitCode.OK
    assert "restart-policy" in out


def test_write_applies_keeps_mode_and_is_idempotent(tmp_path, capsys):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)
    f.chmod(0o750)
    code, out, _ = run(capsys, "--write", "--backup", ".orig", str(f))
    assert code == ExitCode.FINDINGS
    assert f.read_bytes() == b"#!/bin/sh\npodman run --rm -p 8080:80 docker.io/library/nginx\n"
    assert stat.S_IMODE(f.stat().st_mode) == 0o750
    assert (tmp_path / "deploy.sh.orig").read_bytes() == DOCKERY
    assert "migrated" in out
    assert run(capsys, "--write", str(f))[0] == ExitCode.OK
    assert run(capsys, "--check", str(f))[0] == ExitCode.OK


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            b"docker ps\r\ndocker images\r\n", b"podman ps\r\npodman images\r\n", id="CRLF"
        ),
        pytest.param(b"#!/bin/sh\ndocker ps", b"#!/bin/sh\npodman ps", id="no final newline"),
        pytest.param(b"# caf\xe9\ndocker ps\n", b"# caf\xe9\npodman ps\n", id="latin-1 bytes"),
        pytest.param(b"\xef\xbb\xbfdocker ps\n", b"\xef\xbb\xbfpodman ps\n", id="a BOM"),
    ],
)
def test_write_is_byte_exact(tmp_path, capsys, data, expected):
    f = tmp_path / "x.sh"
    f.write_bytes(data)
    run(capsys, "--write", str(f))
    assert f.read_bytes() == expected


def test_binary_large_and_foreign_files_are_skipped_with_a_reason(tmp_path, capsys):
    (tmp_path / "bin.sh").write_bytes(b"docker\0\1\2")
    (tmp_path / "big.sh").write_bytes(b"docker ps\n" * 100)
    (tmp_path / "notes.txt").write_bytes(b"docker ps\n")
    code, out, err = run(capsys, "--max-size", "500", str(tmp_path))
    assert code == ExitCode.OK
    assert "bin.sh: binary file" in err
    assert "big.sh: larger than 500 bytes" in err
    assert "notes.txt" not in err + out  # a directory walk passes over foreign kinds
    _, _, err = run(capsys, str(tmp_path / "notes.txt"))
    assert "not a file kind rootless migrates" in err


def test_symlinks(tmp_path, capsys):
    outside = tmp_path / "outside.sh"
    outside.write_bytes(DOCKERY)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "real.sh").write_bytes(DOCKERY)
    (tree / "leaving.sh").symlink_to(outside)
    (tree / "inside.sh").symlink_to(tree / "real.sh")
    code, _, err = run(capsys, "--write", str(tree))
    assert code == ExitCode.FINDINGS
    assert re.search(r"leaving\.sh: symlink leaving the tree", err)
    assert "inside.sh: symlink (its target is processed on its own)" in err
    assert outside.read_bytes() == DOCKERY
    assert (tree / "inside.sh").is_symlink()
    assert b"podman" in (tree / "real.sh").read_bytes()
    # a symlink named explicitly is followed when it stays in its directory; it stays a link
    (tree / "real.sh").write_bytes(DOCKERY)
    run(capsys, "--write", str(tree / "inside.sh"))
    assert (tree / "inside.sh").is_symlink()
    assert b"podman" in (tree / "real.sh").read_bytes()
    code, _, err = run(capsys, str(tree / "leaving.sh"))
    assert "symlink leaving the tree" in err


def test_gitignore_and_git_dir_are_honoured(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hook.sh").write_bytes(DOCKERY)
    (tmp_path / ".gitignore").write_text("build/\n*.gen.sh\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "x.sh").write_bytes(DOCKERY)
    (tmp_path / "a.gen.sh").write_bytes(DOCKERY)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / ".gitignore").write_text("local.sh\n")
    (sub / "local.sh").write_bytes(DOCKERY)
    (sub / "kept.sh").write_bytes(DOCKERY)
    code, out, _ = run(capsys, "--json", str(tmp_path))
    doc = json.loads(out)
    paths = {Path(f["path"]).relative_to(tmp_path).as_posix() for f in doc["files"]}
    assert paths == {"sub/kept.sh"}
    assert code == ExitCode.FINDINGS


def test_json_is_the_only_stdout(tmp_path, capsys):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)
    code, out, _ = run(capsys, "--json", str(f))
    doc = json.loads(out)
    assert set(doc) == {
        "rootless_migrate_version",
        "rootless_version",
        "mode",
        "exit_code",
        "summary",
        "files",
        "skipped",
    }
    assert doc["exit_code"] == code == 1
    [entry_] = doc["files"]
    assert entry_["changed"] is True
    assert {x["rule"] for x in entry_["findings"]} >= {
        "sudo-docker",
        "docker-command",
        "short-image-name",
    }
    assert all(
        {"line", "column", "severity", "message", "link", "applied"} <= set(x)
        for x in entry_["findings"]
    )


def test_sarif_structure(tmp_path, capsys):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY + b"docker run --link db app\n")
    out_file = tmp_path / "out.sarif"
    code, _, _ = run(capsys, "--check", "--sarif", str(out_file), str(f))
    assert code == ExitCode.FINDINGS
    doc = json.loads(out_file.read_text())
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    [run_] = doc["runs"]
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {r.id for r in all_rules()}
    assert run_["results"]
    for res in run_["results"]:
        assert res["level"] in ("error", "warning", "note", "none")
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"]
        assert loc["region"]["startLine"] >= 1
        assert loc["region"]["startColumn"] >= 1
    assert any(r["ruleId"] == "link-flag" for r in run_["results"])


def test_select_and_ignore(tmp_path, capsys):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)
    _, out, _ = run(capsys, "--json", "--select", "docker-command", str(f))
    rules = {x["rule"] for x in json.loads(out)["files"][0]["findings"]}
    assert rules == {"docker-command"}
    _code, out, _ = run(capsys, "--json", "--ignore", "short-image-name,sudo-docker", str(f))
    rules = {x["rule"] for x in json.loads(out)["files"][0]["findings"]}
    assert "short-image-name" not in rules
    assert "sudo-docker" not in rules
    assert run(capsys, "--select", "no-such-rule", str(f))[0] == ExitCode.USAGE


def test_usage_errors(tmp_path, capsys):
    assert run(capsys)[0] == ExitCode.USAGE
    assert run(capsys, "--write", "--check", str(tmp_path))[0] == ExitCode.USAGE
    assert run(capsys, "--images", "sometimes", str(tmp_path))[0] == ExitCode.USAGE


def test_list_rules(capsys):
    code, out, _ = run(capsys, "--list-rules")
    assert code == ExitCode.OK
    for r in all_rules():
        assert r.id in out
        assert r.example in out
    code, out, _ = run(capsys, "--list-rules", "--json")
    assert [x["id"] for x in json.loads(out)] == [r.id for r in all_rules()]


def test_aliases_snippet_is_valid_shell(capsys, tmp_path):
    code, out, _ = run(capsys, "--aliases")
    assert code == ExitCode.OK
    assert "alias docker=podman" in out
    assert "never see" in out or "never see them" in out
    script = tmp_path / "a.sh"
    script.write_text(out)
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    _, out2, _ = run(capsys, "--aliases", "--compose-target", "podman-compose")
    assert "alias docker-compose=podman-compose" in out2


def test_color_only_when_asked(tmp_path, capsys):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)
    _, out, _ = run(capsys, str(f))
    assert "\x1b[" not in out
    _, out, _ = run(capsys, "--color", "always", str(f))
    assert "\x1b[32m+podman" in out


def test_parallel_and_serial_runs_agree(tmp_path, capsys):
    for i in range(60):
        (tmp_path / f"s{i:02}.sh").write_bytes(DOCKERY if i % 3 else CLEAN)
        (tmp_path / f"n{i:02}.txt").write_bytes(b"nothing")
    _, serial, _ = run(capsys, "--json", "--jobs", "1", str(tmp_path))
    _, parallel, _ = run(capsys, "--json", "--jobs", "2", str(tmp_path))
    assert json.loads(serial) == json.loads(parallel)
    assert json.loads(serial)["summary"]["changed"] == 40


def test_interrupted_write_leaves_the_file_whole(tmp_path, capsys, monkeypatch):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    assert entry.main(["migrate", "--write", str(f)]) == ExitCode.INTERRUPTED
    assert f.read_bytes() == DOCKERY
    assert [p.name for p in tmp_path.iterdir()] == ["deploy.sh"]


def test_failed_write_is_reported_and_the_file_is_untouched(tmp_path, capsys, monkeypatch):
    f = tmp_path / "deploy.sh"
    f.write_bytes(DOCKERY)

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, out, _ = run(capsys, "--write", str(f))
    assert code == ExitCode.FINDINGS
    assert "could not write: No space left on device" in out
    assert f.read_bytes() == DOCKERY
    assert [p.name for p in tmp_path.iterdir()] == ["deploy.sh"]


def test_unreadable_file_as_an_unprivileged_user(test_user, user_tmp):
    f = user_tmp / "secret.sh"
    f.write_bytes(DOCKERY)
    os.chown(f, 0, 0) if os.geteuid() == 0 else None
    f.chmod(0)
    res = test_user.rootless_cmd("migrate", "--check", str(f))
    assert res.returncode == ExitCode.OK, res.stderr
    assert "secret.sh: unreadable: Permission denied" in res.stderr


def test_read_only_directory_as_an_unprivileged_user(test_user, user_tmp):
    d = user_tmp / "ro"
    d.mkdir()
    f = d / "deploy.sh"
    f.write_bytes(DOCKERY)
    if os.geteuid() == 0:
        os.chown(d, test_user.uid, test_user.gid)
        os.chown(f, test_user.uid, test_user.gid)
    f.chmod(0o644)
    d.chmod(0o555)
    res = test_user.rootless_cmd("migrate", "--write", str(f))
    assert res.returncode == ExitCode.FINDINGS
    assert "could not write" in res.stdout
    assert f.read_bytes() == DOCKERY


def test_pre_commit_hook_definition_runs_check():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: rootless-migrate\n" in text
    assert "entry: rootless migrate --check" in text
