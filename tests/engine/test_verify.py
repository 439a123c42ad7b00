"""`rootless verify` for real: the unprivileged test user proves rootless containers work,
against the loopback registry's busybox image (files owned by 101 and 65534), each run in
its own store. Injected faults - a user whose /etc/subuid line is removed, a user without
sub-ids, newuidmap off $PATH, user.max_user_namespaces=0, a taken port - must each fail the
right step and name the doctor check that explains it, with that check's finding and fix."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import pytest
from harness import TestUser, drop_subids, require, temporary_user

pytestmark = [pytest.mark.userns, pytest.mark.registry]

STEP_IDS = [
    "host",
    "pull",
    "user-namespace",
    "owners",
    "run-root",
    "run-user",
    "publish-port",
    "exit-code",
    "cleanup",
]
ENVELOPE_KEYS = {
    "rootless_verify_version",
    "rootless_version",
    "status",
    "exit_code",
    "user",
    "uid",
    "image",
    "image_name",
    "image_id",
    "options",
    "total_ms",
    "failed_steps",
    "steps",
    "checks",
}
STEP_KEYS = {"id", "title", "status", "duration_ms", "summary", "details", "error", "check"}
CHECK_KEYS = {"id", "command", "finding", "fix_snippet", "fix_script"}


def verify(
    user: TestUser, store: Path, ref: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict | str, str]:
    """``rootless verify --image REF --tls-verify=false [args]``; JSON parsed with --json."""
    res = user.rootless_cmd(
        "verify",
        "--image",
        ref,
        "--tls-verify=false",
        *args,
        env={"ROOTLESS_STORE": str(store), **(env or {})},
        timeout=240,
    )
    if "--json" in args:
        return res.returncode, json.loads(res.stdout), res.stderr
    return res.returncode, res.stdout, res.stderr


def steps(doc: dict) -> dict[str, dict]:
    return {s["id"]: s for s in doc["steps"]}


def subid_start(name: str, path: str = "/etc/subuid") -> str:
    for line in Path(path).read_text().splitlines():
        owner, start, count = line.split(":")
        if owner == name:
            return f"1 {start} {count}"
    raise AssertionError(f"no {path} line for {name}")


def pull(user: TestUser, store: Path, ref: str) -> None:
    res = user.rootless_cmd(
        "engine", "pull", "--tls-verify=false", ref, env={"ROOTLESS_STORE": str(store)}
    )
    assert res.returncode == 0, res.stderr


def container_dirs(store: Path) -> list[str]:
    base = store / "containers"
    if not base.exists():
        return []
    names = (
        sorted(p.name for p in (base / ".names").iterdir()) if (base / ".names").exists() else []
    )
    return sorted(p.name for p in base.iterdir() if p.is_dir() and p.name != ".names") + names


# --------------------------------------------------------------------------------------
# end to end


def test_verify_passes_every_step_with_timings_and_a_json_report(
    test_user: TestUser, user_tmp: Path, oci_registry
) -> None:
    store = user_tmp / "store"
    ref = oci_registry.ref("busybox")
    code, doc, err = verify(test_user, store, ref, "--json")
    assert code == 0, err
    assert isinstance(doc, dict)
    assert set(doc) == ENVELOPE_KEYS
    assert doc["rootless_verify_version"] == 1
    assert (doc["status"], doc["exit_code"], doc["failed_steps"]) == ("passed", 0, [])
    assert (doc["user"], doc["uid"]) == (test_user.name, test_user.uid)
    assert doc["image"] == doc["image_name"] == ref
    assert re.fullmatch(r"[0-9a-f]{64}", doc["image_id"])
    assert doc["options"]["host_ip"] == "127.0.0.1"
    assert isinstance(doc["options"]["port"], int)
    assert [s["id"] for s in doc["steps"]] == STEP_IDS
    for step in doc["steps"]:
        assert set(step) == STEP_KEYS
        assert step["status"] == "passed", step
        assert step["duration_ms"] > 0, step  # every step is timed
        assert step["error"] is None
        assert step["check"] is None
    assert doc["total_ms"] >= sum(s["duration_ms"] for s in doc["steps"])
    by_id = steps(doc)

    # the doctor's checks ran through its API (with the port about to be published)
    checks = {c["id"]: c for c in doc["checks"]}
    assert {"user-namespaces", "subid-ranges", "uidmap-helpers", "userns-mapping"} <= set(checks)
    port = doc["options"]["port"]
    assert checks["published-ports"]["summary"] == f"127.0.0.1:{port} is free"
    # the namespace's maps read back as the files say
    assert subid_start(test_user.name) in by_id["user-namespace"]["summary"]
    assert f"0 {test_user.uid} 1" in by_id["user-namespace"]["summary"]
    assert by_id["user-namespace"]["details"] == [
        f"uid_map read back: 0 {test_user.uid} 1, {subid_start(test_user.name)}",
        f"gid_map read back: 0 {test_user.gid} 1, {subid_start(test_user.name, '/etc/subgid')}",
    ]
    # the layer's non-root owners are what stat shows inside
    owners = by_id["owners"]["details"]
    assert "101:101 /home/www" in owners
    assert "101:101 /home/www/index.html" in owners
    assert "65534:65534 /var/empty" in owners
    assert "0:42 /etc/shadow" in owners
    assert by_id["run-root"]["summary"].startswith("uid 0, gid 0 inside")
    assert by_id["run-user"]["summary"] == "nobody: uid 65534, gid 65534 inside"
    assert by_id["publish-port"]["summary"].startswith(f"-p 127.0.0.1:{port}:80: HTTP 200")
    assert by_id["exit-code"]["summary"] == "sh -c 'exit 7' exited 7"
    assert "port" in by_id["cleanup"]["summary"]

    # nothing left: no container, the image stays cached
    assert container_dirs(store) == []
    env = {"ROOTLESS_STORE": str(store)}
    assert test_user.rootless_cmd("engine", "ps", "-a", "-q", env=env).stdout == ""
    assert doc["image_id"][:12] in test_user.rootless_cmd("engine", "images", "-q", env=env).stdout
    with socket.socket() as sock:  # the published port is free again (TIME_WAIT aside)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1)


def test_verify_prints_a_checklist_without_colour(
    test_user: TestUser, user_tmp: Path, oci_registry
) -> None:
    code, out, err = verify(test_user, user_tmp / "store", oci_registry.ref("busybox"))
    assert code == 0, err
    assert isinstance(out, str)
    assert "\x1b[" not in out  # NO_COLOR (the harness sets it) and no terminal
    lines = out.splitlines()
    assert lines[0].startswith(f"rootless verify · {test_user.name} (uid {test_user.uid}) · ")
    checklist = [ln for ln in lines if ln.startswith("[")]
    assert len(checklist) == len(STEP_IDS)
    for line in checklist:
        assert re.match(r"\[✓\] +\d+ ms  \S", line), line
    assert "Publish a port to an HTTP server in the container: -p 127.0.0.1:" in out
    assert re.search(r"✓ rootless containers work here: 9 of 9 steps passed in [\d.]+ s\.", out)
    assert err == ""


# --------------------------------------------------------------------------------------
# injected faults: each names the doctor check that explains it


def assert_explained(step: dict, check_id: str, *, snippet: str | None = None) -> None:
    assert step["status"] == "failed", step
    assert step["error"], step
    check = step["check"]
    assert check is not None, step
    assert set(check) == CHECK_KEYS
    assert check["id"] == check_id
    assert check["command"].startswith(f"rootless doctor {check_id}")
    assert check["finding"]["id"] == check_id
    assert check["finding"]["status"] == "fail", check["finding"]
    if snippet is not None:
        assert snippet in check["fix_snippet"], check["fix_snippet"]
        assert check["fix_script"].startswith("#!/bin/sh")
        assert snippet in check["fix_script"]


def test_removed_subuid_entry_fails_the_namespace_naming_subid_ranges(oci_registry) -> None:
    require(os.geteuid() == 0, "creating a throw-away user needs root (CI runs as root)")
    ref = oci_registry.ref("busybox")
    with temporary_user() as user, user.tmpdir() as tmp:
        store = tmp / "store"
        code, doc, err = verify(user, store, ref, "--json")
        assert code == 0, (doc, err)  # the account works, and the image is cached
        drop_subids(user.name)
        code, doc, err = verify(user, store, ref, "--json")
    assert code == 1, err
    assert isinstance(doc, dict)
    by_id = steps(doc)
    assert doc["failed_steps"] == ["host", "user-namespace"]
    assert by_id["pull"]["status"] == "passed"  # the image was unpacked before
    assert_explained(by_id["host"], "subid-ranges", snippet=f"set_subids /etc/subuid {user.name}")
    ns = by_id["user-namespace"]
    assert f"no range for user '{user.name}' in /etc/subuid" in ns["error"]
    assert_explained(ns, "subid-ranges", snippet="set_subids")
    assert {by_id[s]["status"] for s in STEP_IDS[3:-1]} == {"skipped"}


def test_a_user_without_sub_ids_fails_the_pull_naming_subid_ranges(
    test_user_nosubid: TestUser, oci_registry
) -> None:
    with test_user_nosubid.tmpdir() as tmp:
        code, doc, err = verify(
            test_user_nosubid, tmp / "store", oci_registry.ref("busybox"), "--json"
        )
    assert code == 1, err
    by_id = steps(doc)  # type: ignore[arg-type]
    assert "cannot map the full sub-id range" in by_id["pull"]["error"]
    assert_explained(by_id["pull"], "subid-ranges", snippet="set_subids /etc/subuid")
    assert_explained(by_id["host"], "subid-ranges")


def test_newuidmap_off_path_fails_naming_uidmap_helpers(
    test_user: TestUser, user_tmp: Path, oci_registry
) -> None:
    ref = oci_registry.ref("busybox")
    store = user_tmp / "store"
    pull(test_user, store, ref)
    shim = user_tmp / "bin"  # everything of /usr/bin except the two helpers
    shim.mkdir()
    for entry in os.scandir("/usr/bin"):
        if entry.name not in ("newuidmap", "newgidmap"):
            (shim / entry.name).symlink_to(entry.path)
    code, doc, err = verify(test_user, store, ref, "--json", env={"PATH": str(shim)})
    assert code == 1, err
    by_id = steps(doc)  # type: ignore[arg-type]
    assert doc["failed_steps"] == ["host", "user-namespace"]  # type: ignore[index]
    ns = by_id["user-namespace"]
    assert "newuidmap is not on $PATH" in ns["error"]
    assert_explained(ns, "uidmap-helpers", snippet="put /usr/bin on your $PATH")
    finding = ns["check"]["finding"]
    assert (
        "newuidmap is installed as /usr/bin/newuidmap, but /usr/bin is not on $PATH"
        in (finding["summary"])
    )


# Runs as root: unshare a user namespace that maps every id to itself (so the test user,
# newuidmap and /etc/subuid mean the same inside), set user.max_user_namespaces=0 in *that*
# namespace, then become the test user and exec the command. The kernel checks the limit of
# every namespace above the one creating a namespace, so the engine's unshare fails with
# ENOSPC exactly as with the host-wide setting - without touching the host's value, which
# other processes (and other suites) depend on.
_NO_USERNS = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x10000000) != 0:
    sys.exit("unshare: " + os.strerror(ctypes.get_errno()))
os.write(1, b"u")
os.read(0, 1)
with open("/proc/sys/user/max_user_namespaces", "w") as fh:
    fh.write("0")
os.dup2(int(sys.argv[1]), 1)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def run_without_user_namespaces(user: TestUser, argv: list[str], env: dict[str, str]):
    import subprocess
    import sys

    out_r, out_w = os.pipe()
    cmd = [
        sys.executable, "-c", _NO_USERNS, str(out_w), "setpriv", f"--reuid={user.uid}",
        f"--regid={user.gid}", "--init-groups", "--", *argv,
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=user.env(env),
        cwd=str(user.home),
        pass_fds=(out_w,),
    )
    os.close(out_w)
    assert proc.stdout is not None
    assert proc.stdin is not None
    assert proc.stdout.read(1) == b"u", proc.stderr.read() if proc.stderr else ""
    for name in ("uid_map", "gid_map"):  # every id maps to itself
        Path(f"/proc/{proc.pid}/{name}").write_text("0 0 4294967295\n")
    proc.stdin.write(b"m")
    proc.stdin.close()
    with os.fdopen(out_r, "rb") as fh:
        stdout = fh.read().decode()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    return proc.wait(timeout=240), stdout, stderr


def test_user_namespaces_disabled_fail_naming_user_namespaces(
    test_user: TestUser, user_tmp: Path, oci_registry
) -> None:
    require(os.geteuid() == 0, "mapping a namespace for another user needs root (CI runs as root)")
    ref = oci_registry.ref("busybox")
    store = user_tmp / "store"
    pull(test_user, store, ref)
    host_value = Path("/proc/sys/user/max_user_namespaces").read_text()
    code, out, err = run_without_user_namespaces(
        test_user,
        [test_user.rootless, "verify", "--image", ref, "--tls-verify=false", "--json"],
        {"ROOTLESS_STORE": str(store)},
    )
    assert Path("/proc/sys/user/max_user_namespaces").read_text() == host_value
    assert code == 1, err
    doc = json.loads(out)
    by_id = steps(doc)
    assert doc["failed_steps"] == ["host", "user-namespace"]
    ns = by_id["user-namespace"]
    assert "unshare(CLONE_NEWUSER) failed with ENOSPC" in ns["error"]
    assert_explained(ns, "user-namespaces", snippet="user.max_user_namespaces")
    assert "user.max_user_namespaces is 0" in ns["check"]["finding"]["summary"]
    assert_explained(by_id["host"], "user-namespaces")


def test_a_taken_port_fails_the_publish_step_naming_published_ports(
    test_user: TestUser, user_tmp: Path, oci_registry
) -> None:
    ref = oci_registry.ref("busybox")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, doc, err = verify(test_user, user_tmp / "store", ref, "--json", "--port", str(port))
        code_text, out, _ = verify(test_user, user_tmp / "store", ref, "--port", str(port))
    assert code == code_text == 1, err
    by_id = steps(doc)  # type: ignore[arg-type]
    assert doc["failed_steps"] == ["host", "publish-port"]  # type: ignore[index]
    publish = by_id["publish-port"]
    assert publish["error"] == (
        f"cannot publish port {port}: 127.0.0.1:{port} is already in use on the host"
    )
    assert_explained(publish, "published-ports", snippet="publish on another host port")
    assert publish["check"]["command"] == f"rootless doctor published-ports --port 127.0.0.1:{port}"
    assert f"127.0.0.1:{port} is taken" in publish["check"]["finding"]["summary"]
    assert by_id["exit-code"]["status"] == "passed"  # a taken port blocks nothing else
    assert by_id["cleanup"]["status"] == "passed"
    # the text report: the failed step, the real error, the check, its finding and fix
    assert isinstance(out, str)
    assert "✗ rootless verify failed at 'Host checks (rootless doctor)'" in out
    assert f"error: cannot publish port {port}: 127.0.0.1:{port} is already in use" in out
    assert f"explained by: rootless doctor published-ports --port 127.0.0.1:{port}" in out
    assert f"[✗] Host ports to publish are free: 127.0.0.1:{port} is taken" in out
    assert "fix (from the doctor's fix script):" in out
    assert "    note 'publish on another host port" in out


# --------------------------------------------------------------------------------------
# the command line


def test_usage_errors_exit_2(test_user: TestUser) -> None:
    for args, message in (
        (["--port", "http"], "--port: expected a port number"),
        (["--bogus"], "no such option: --bogus"),
        (["busybox"], "the image goes after --image"),
        (["--tls-verify=maybe"], "--tls-verify: expected true or false"),
    ):
        res = test_user.rootless_cmd("verify", *args)
        assert res.returncode == 2, (args, res.stderr)
        assert message in res.stderr
        assert res.stdout == ""


def test_as_root_it_stops_after_the_host_checks_naming_not_root(tmp_path: Path) -> None:
    import subprocess
    import sys

    require(os.geteuid() == 0, "the suite runs as root in CI")
    rootless = str(Path(sys.executable).parent / "rootless")
    res = subprocess.run(
        [rootless, "verify", "--image", "127.0.0.1:9/none:latest", "--json"],
        env={**os.environ, "ROOTLESS_STORE": str(tmp_path / "store")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert doc["failed_steps"] == ["host"]
    assert_explained(steps(doc)["host"], "not-root")
    assert {s["status"] for s in doc["steps"][1:]} == {"skipped"}
    assert not (tmp_path / "store").exists()  # nothing was pulled or run
