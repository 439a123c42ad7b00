"""Fix scripts are idempotent: their file edits, run twice against a scratch copy of a recorded
host (ROOTLESS_FIX_ROOT), leave the same tree as running them once - and the doctor then
sees the configuration fixed (what needs a live action or a reboot says so)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from doctor_helpers import HOSTS, SNAPSHOTS
from harness import require_command

from rootless.doctor import diagnose
from rootless.doctor.fixes import render_fix_script
from rootless.doctor.snapshot import SnapshotHost

#: busybox applets an Alpine fix script may call (the rest are shell built-ins)
APPLETS = (
    "awk",
    "grep",
    "cmp",
    "mv",
    "chmod",
    "cp",
    "mkdir",
    "dirname",
    "rm",
    "cat",
    "id",
    "tr",
    "sh",
)


def tree_state(root: Path) -> dict[str, tuple[str, int, bytes]]:
    state: dict[str, tuple[str, int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if p.is_symlink():
                state[rel] = ("link", 0, os.readlink(p).encode())
            elif p.is_dir():
                state[rel] = ("dir", st.st_mode & 0o7777, b"")
            else:
                state[rel] = ("file", st.st_mode & 0o7777, p.read_bytes())
    return state


def busybox_path(tmp_path: Path) -> str:
    busybox = require_command("busybox", "busybox-static")
    bindir = tmp_path / "busybox-bin"
    bindir.mkdir()
    for applet in APPLETS:
        (bindir / applet).symlink_to(busybox)
    return str(bindir)


def run_script(script: Path, root: Path, *, shell: list[str], path: str | None = None) -> str:
    env = {
        "ROOTLESS_FIX_ROOT": str(root),
        "PATH": path or os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C",
    }
    res = subprocess.run(
        [*shell, str(script), "all"], env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def scratch_copy(tmp_path: Path, name: str) -> tuple[SnapshotHost, Path]:
    target = tmp_path / name
    shutil.copytree(HOSTS / name, target)
    config = tomllib.loads((target / "host.toml").read_text())
    return SnapshotHost(target, config), target


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_fix_script_edits_are_idempotent(name: str, tmp_path: Path) -> None:
    host, target = scratch_copy(tmp_path, name)
    script = tmp_path / "fix.sh"
    script.write_text(render_fix_script(diagnose(host).findings, host))
    root = target / "root"
    before = tree_state(root)
    shell = ["sh"]
    path = None
    if host.config.get("description", "").startswith("Alpine"):
        path = busybox_path(tmp_path)
        shell = [str(Path(path) / "sh")]
    first_out = run_script(script, root, shell=shell, path=path)
    once = tree_state(root)
    second_out = run_script(script, root, shell=shell, path=path)
    twice = tree_state(root)
    assert twice == once, "the second run changed the tree"
    assert "updated:" not in second_out
    assert "appended to" not in second_out
    if "updated:" in first_out or "appended to" in first_out:
        assert once != before


def _fixed(tmp_path: Path, name: str) -> tuple[SnapshotHost, Path]:
    host, target = scratch_copy(tmp_path, name)
    script = tmp_path / "fix.sh"
    script.write_text(render_fix_script(diagnose(host).findings, host))
    run_script(script, target / "root", shell=["sh"])
    config = tomllib.loads((target / "host.toml").read_text())
    return SnapshotHost(target, config), target / "root"


def test_empty_subuid_gets_the_computed_free_range(tmp_path: Path) -> None:
    after, root = _fixed(tmp_path, "arch-empty-subuid")
    assert (root / "etc/subuid").read_text() == "alice:100000:65536\n"
    assert (root / "etc/subgid").read_text() == "alice:100000:65536\n"
    finding = next(f for f in diagnose(after, ["subid-ranges"]).findings if f.id == "subid-ranges")
    assert finding.status.value == "ok", finding


def test_overlapping_range_is_replaced_by_a_free_one(tmp_path: Path) -> None:
    after, root = _fixed(tmp_path, "subuid-overlap-own-uid")
    lines = (root / "etc/subuid").read_text().splitlines()
    # alice's two lines (by name and by uid) are gone; bob's stays; the new range avoids bob's
    assert lines == ["# written by hand", "bob:60000:65536", "alice:165536:65536"]
    assert (
        (root / "etc/subuid.rootless-orig")
        .read_text()
        .startswith("# written by hand\nalice:1000:65536")
    )
    finding = next(f for f in diagnose(after, ["subid-ranges"]).findings if f.id == "subid-ranges")
    assert finding.status.value == "ok", finding


def test_malformed_lines_are_commented_out(tmp_path: Path) -> None:
    after, root = _fixed(tmp_path, "subuid-malformed")
    text = (root / "etc/subuid").read_text()
    assert "# disabled by rootless doctor (malformed): carol:200000\n" in text
    assert "alice:100000:65536\n" in text
    finding = next(f for f in diagnose(after, ["subid-ranges"]).findings if f.id == "subid-ranges")
    assert finding.status.value != "fail" or "rejects the whole file" not in finding.summary


def test_centos7_after_the_script_is_configured_but_waits_for_sysctl_and_reboot(
    tmp_path: Path,
) -> None:
    """The script writes the drop-in and the grub default; live state still needs `sysctl -p`
    (skipped under ROOTLESS_FIX_ROOT) and a reboot - the doctor says exactly that."""
    after, root = _fixed(tmp_path, "centos7-userns-off")
    assert (
        "user.max_user_namespaces = 28633\n" in (root / "etc/sysctl.d/99-rootless.conf").read_text()
    )
    assert (
        'GRUB_CMDLINE_LINUX="crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet user_namespace.enable=1"'
        in (root / "etc/default/grub").read_text()
    )
    finding = next(
        f for f in diagnose(after, ["user-namespaces"]).findings if f.id == "user-namespaces"
    )
    assert finding.status.value == "fail"
    text = "\n".join(finding.details)
    assert (
        "although /etc/sysctl.d/99-rootless.conf:1 sets 28633: the setting was never applied"
        in text
    )
    assert "reboot pending" in text


def test_ubuntu_profile_allows_the_real_podman_path(tmp_path: Path) -> None:
    after, root = _fixed(tmp_path, "ubuntu2404-apparmor-local-podman")
    profile = (root / "etc/apparmor.d/rootless-usr.local.bin.podman").read_text()
    assert (
        "profile rootless-usr.local.bin.podman /usr/local/bin/podman flags=(unconfined) {"
        in profile
    )
    assert "  userns,\n" in profile
    finding = next(
        f for f in diagnose(after, ["apparmor-userns"]).findings if f.id == "apparmor-userns"
    )
    assert finding.status.value == "ok", finding


def test_alpine_script_uses_openrc_vocabulary(tmp_path: Path) -> None:
    _after, root = _fixed(tmp_path, "alpine-openrc")
    assert "tun\n" in (root / "etc/modules").read_text()
    assert 'rc_cgroup_mode="unified"\n' in (root / "etc/rc.conf").read_text()
    assert (
        (root / "etc/local.d/rootless-shared-root.start")
        .read_text()
        .endswith("mount --make-rshared /\n")
    )
    assert os.access(root / "etc/local.d/rootless-runtime-dir-1000.start", os.X_OK)
    assert (root / "home/alice/.profile").read_text() == "export XDG_RUNTIME_DIR=/run/user/1000\n"


def test_hostile_values_stay_data(tmp_path: Path) -> None:
    """A user name full of shell syntax ends up literally in the file, never executed."""
    from rootless.doctor.model import Finding, Fix, FixStep, Status

    evil = "x$(touch PWNED)`touch PWNED2`;touch PWNED3\n'\"y"
    host, target = scratch_copy(tmp_path, "arch-empty-subuid")
    finding = Finding(
        "subid-ranges",
        "t",
        Status.FAIL,
        "s",
        fix=Fix(
            (
                FixStep(
                    "subids",
                    "s",
                    "root",
                    "now",
                    {"user": evil, "uid": 1000, "start": 100000, "count": 65536},
                ),
            )
        ),
    )
    script = tmp_path / "fix.sh"
    script.write_text(render_fix_script([finding], host))
    run_script(script, target / "root", shell=["sh"])
    assert not list(tmp_path.rglob("PWNED*"))
    assert not list(Path.cwd().glob("PWNED*"))
    assert (target / "root/etc/subuid").read_text() == f"{evil}:100000:65536\n"
