"""The installed `rootless doctor`, on this machine, as the unprivileged test user: the probes
really run (the uid_map read back matches /etc/subuid), JSON on stdout only, fix scripts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from harness import TestUser, require

from rootless.engine.idmap import parse_subid

pytestmark = pytest.mark.userns


def _range(user: TestUser, path: str) -> list[int]:
    entries = parse_subid(Path(path).read_text()).for_user(user.name, user.uid)
    require(entries, f"{user.name} has no line in {path}")
    return [entries[0].start, entries[0].count]


def _doctor_json(user: TestUser, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    res = user.rootless_cmd("doctor", "--json", *args, timeout=120)
    assert res.returncode in (0, 1), res.stderr
    return res, json.loads(res.stdout)


def test_probes_really_run_and_read_back_the_configured_map(test_user: TestUser) -> None:
    res, doc = _doctor_json(test_user)
    findings = {f["id"]: f for f in doc["findings"]}
    start, count = _range(test_user, "/etc/subuid")
    gstart, gcount = _range(test_user, "/etc/subgid")
    mapping = findings["userns-mapping"]
    assert mapping["status"] == "ok", mapping
    assert mapping["data"]["uid_map"] == [[0, test_user.uid, 1], [1, start, count]]
    assert mapping["data"]["gid_map"] == [[0, test_user.gid, 1], [1, gstart, gcount]]
    assert (
        mapping["summary"]
        == f"uid_map reads back 0 {test_user.uid} 1, 1 {start} {count} ({count + 1} ids, as configured)"
    )
    assert findings["overlay-mount"]["data"].get("probed") is True
    assert findings["tun-device"]["data"].get("probed") is True
    assert findings["not-root"]["summary"] == f"running as {test_user.name} (uid {test_user.uid})"
    assert doc["exit_code"] == res.returncode
    assert doc["host"]["user"] == test_user.name


def test_no_probe_creates_no_namespace(test_user: TestUser) -> None:
    _, doc = _doctor_json(test_user, "--no-probe")
    findings = {f["id"]: f for f in doc["findings"]}
    assert findings["userns-mapping"]["status"] == "skip"
    assert findings["userns-mapping"]["summary"] == "skipped: probes disabled (--no-probe)"
    assert "probed" not in findings["tun-device"]["data"]


def test_probe_leaves_no_scratch_directory_behind(test_user: TestUser) -> None:
    _doctor_json(test_user, "overlay-mount")
    home = test_user.home
    leftovers = list(home.rglob(".rootless-doctor-overlay-*"))
    assert leftovers == []


def test_a_user_without_sub_ids_gets_a_free_range_in_the_fix(
    test_user_nosubid: TestUser, test_user: TestUser
) -> None:
    res = test_user_nosubid.rootless_cmd(
        "doctor", "--fix-script", "-", "subid-ranges", "userns-mapping"
    )
    assert res.returncode == 1, res.stderr
    assert "/etc/subuid has no range for rootless-nosub" in res.stderr
    script = res.stdout
    line = next(ln for ln in script.splitlines() if ln.startswith("set_subids /etc/subuid"))
    _, _, user, uid, start, count = line.split()
    assert (user, int(uid), int(count)) == (test_user_nosubid.name, test_user_nosubid.uid, 65536)
    taken = (
        parse_subid(Path("/etc/subuid").read_text()).entries
        + parse_subid(Path("/etc/subgid").read_text()).entries
    )
    for entry in taken:
        assert not entry.overlaps(int(start), 65536), entry
    check = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_root_is_told_to_check_as_the_user() -> None:
    require(os.geteuid() == 0, "runs the doctor as root")
    from harness import find_user_venv_tools

    rootless, _ = find_user_venv_tools()
    res = subprocess.run(
        [rootless, "doctor", "--no-probe", "not-root"],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert res.returncode == 1
    assert "[✗] Unprivileged user: running as root" in res.stdout


def test_root_checks_a_user_read_only(test_user: TestUser) -> None:
    require(os.geteuid() == 0, "--user needs root")
    from harness import find_user_venv_tools

    rootless, _ = find_user_venv_tools()
    res = subprocess.run(
        [rootless, "doctor", "--json", "--user", test_user.name],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    doc = json.loads(res.stdout)
    findings = {f["id"]: f for f in doc["findings"]}
    assert findings["not-root"]["summary"].startswith(
        f"checking {test_user.name} (uid {test_user.uid}) from root"
    )
    assert findings["userns-mapping"]["status"] == "skip"
    assert findings["subid-ranges"]["status"] == "ok"
    assert doc["options"]["user"] == test_user.name
