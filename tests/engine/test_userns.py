"""Entering a user namespace for real, as an unprivileged user (CI drops from root to it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import TestUser

pytestmark = pytest.mark.userns

_PROBE = r"""
import json, os, sys
from rootless.engine.userns import CLONE_NEWNS, MapPlan, fork_in_userns, spawn_in_userns

plan = MapPlan.for_current_user()
r, w = os.pipe()

def body():
    os.close(r)
    info = {
        "uid": os.getuid(),
        "uid_map": open("/proc/self/uid_map").read().split(),
        "gid_map": open("/proc/self/gid_map").read().split(),
        "setgroups": open("/proc/self/setgroups").read().strip(),
    }
    os.write(w, json.dumps(info).encode())
    return 7

child = fork_in_userns(body, plan=plan, flags=CLONE_NEWNS)
os.close(w)
info = json.loads(os.read(r, 65536))
info["exit"] = child.wait()
info["full"] = child.mapping.full
info["warning"] = child.mapping.warning
spawned = spawn_in_userns(["cat", "/proc/self/uid_map"], plan=plan)
info["spawn_map"] = spawned.stdout.split()
info["spawn_rc"] = spawned.returncode
print(json.dumps(info))
"""


def test_full_range_mapping_as_podman_does(test_user: TestUser) -> None:
    res = test_user.python_cmd(_PROBE)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    ranges = [
        ln.split(":")
        for ln in Path("/etc/subuid").read_text().splitlines()
        if ln.startswith(f"{test_user.name}:")
    ]
    start, count = ranges[0][1], ranges[0][2]
    assert info["uid"] == 0
    assert info["uid_map"] == ["0", str(test_user.uid), "1", "1", start, count]
    assert info["gid_map"][:3] == ["0", str(test_user.gid), "1"]
    assert info["setgroups"] == "allow"
    assert info["exit"] == 7
    assert info["full"] is True
    assert info["warning"] is None
    assert info["spawn_rc"] == 0
    assert info["spawn_map"] == info["uid_map"]


def test_single_mapping_fallback_without_subids(test_user_nosubid: TestUser) -> None:
    res = test_user_nosubid.python_cmd(_PROBE)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["uid_map"] == ["0", str(test_user_nosubid.uid), "1"]
    assert info["setgroups"] == "deny"
    assert info["full"] is False
    assert "no range for user" in info["warning"]
    assert "subid-ranges" in info["warning"]
    assert info["exit"] == 7


def test_missing_helper_in_full_mode_names_the_doctor_check(test_user: TestUser) -> None:
    code = (
        "from rootless.engine.userns import MapPlan, fork_in_userns\n"
        "from rootless.engine.idmap import lookup_user_ids\n"
        "plan = MapPlan(ids=lookup_user_ids(), mode='full', newuidmap=None, newgidmap='/usr/bin/newgidmap')\n"
        "try:\n"
        "    fork_in_userns(lambda: 0, plan=plan)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc.check_id, exc)\n"
    )
    res = test_user.python_cmd(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(
        "MappingError uidmap-helpers cannot map the full sub-id range: newuidmap"
    )


def test_spawn_runs_python_code_in_the_stub(test_user: TestUser) -> None:
    """`["--python", code, *args]` runs the code in the already-started stub interpreter."""
    code = (
        "import json, sys\n"
        "from rootless.engine.userns import MapPlan, spawn_in_userns\n"
        "probe = 'import os, sys\\nprint(os.getuid(), sys.argv, open(\"/proc/self/uid_map\").read().split())'\n"
        "res = spawn_in_userns(['--python', probe, 'a', 'b'], plan=MapPlan.for_current_user())\n"
        "print(json.dumps([res.returncode, res.stdout]))\n"
    )
    res = test_user.python_cmd(code)
    assert res.returncode == 0, res.stderr
    rc, out = json.loads(res.stdout)
    assert rc == 0
    assert out.startswith("0 ['-c', 'a', 'b'] ['0', " + repr(str(test_user.uid)))
