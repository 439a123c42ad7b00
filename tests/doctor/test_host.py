"""The real host: parsers, read limits on real files, and file capabilities set with setcap."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from harness import TestUser, require, require_command

from rootless.doctor import diagnose
from rootless.doctor.checks.uidmap_helpers import CAP_SETGID, CAP_SETUID, parse_vfs_capability
from rootless.doctor.host import (
    MAX_FILE_BYTES,
    HostFileError,
    RealHost,
    StatInfo,
    mode_allows,
    mount_for,
    parse_mountinfo,
)

MOUNTINFO = (
    "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
    "30 22 8:3 / /home rw,nosuid shared:5 master:1 - xfs /dev/sda3 rw,attr2\n"
    "31 30 0:40 / /home/my\\040dir rw,noexec - tmpfs tmpfs rw\n"
    "garbage line\n"
)


def test_parse_mountinfo() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert [m.mountpoint for m in mounts] == ["/", "/home", "/home/my dir"]
    root, home, mine = mounts
    assert root.shared
    assert home.optional == ("shared:5", "master:1")
    assert home.has_option("nosuid")
    assert mine.has_option("noexec")
    assert not mine.shared


@pytest.mark.parametrize(
    ("path", "mountpoint"),
    [
        pytest.param("/home/alice", "/home", id="nested in /home"),
        pytest.param("/homework", "/", id="a prefix that is not a path component"),
        pytest.param("/home/my dir/x", "/home/my dir", id="escaped space in the mount point"),
        pytest.param("/", "/", id="the root itself"),
    ],
)
def test_mount_for(path: str, mountpoint: str) -> None:
    found = mount_for(parse_mountinfo(MOUNTINFO), path)
    assert found is not None
    assert found.mountpoint == mountpoint


@pytest.mark.parametrize(
    ("mode", "uid", "gid", "want", "allowed"),
    [
        pytest.param(0o600, 1000, 1000, os.R_OK | os.W_OK, True, id="owner may read and write"),
        pytest.param(0o600, 0, 0, os.R_OK, False, id="others may not read a private file"),
        pytest.param(0o660, 0, 998, os.R_OK | os.W_OK, True, id="group member may"),
        pytest.param(0o666, 0, 0, os.W_OK, True, id="world-writable"),
        pytest.param(0o4755, 0, 0, os.X_OK, True, id="world-executable setuid"),
    ],
)
def test_mode_allows(mode: int, uid: int, gid: int, want: int, allowed: bool) -> None:
    st = StatInfo(0o100000 | mode, uid, gid)
    assert mode_allows(st, 1000, (1000, 998), want) is allowed


def test_root_reads_anything_but_executes_only_with_an_x_bit() -> None:
    assert mode_allows(StatInfo(0o100000, 5, 5), 0, (0,), os.R_OK | os.W_OK)
    assert not mode_allows(StatInfo(0o100644, 5, 5), 0, (0,), os.X_OK)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"\x00\x01\x02", "contains binary data (NUL bytes), not text", id="binary"),
        pytest.param(b"ok\n\xff\n", "is not valid UTF-8 text", id="not UTF-8"),
        pytest.param(
            b"x" * (MAX_FILE_BYTES + 1), "is larger than 4 MiB; refusing to parse it", id="huge"
        ),
    ],
)
def test_real_files_that_cannot_be_judged(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(HostFileError) as info:
        RealHost().read_text(str(path))
    assert str(info.value).startswith(f"{path} {reason}")


def test_a_directory_and_a_missing_file(tmp_path: Path) -> None:
    host = RealHost()
    assert host.read_text(str(tmp_path / "missing")) is None
    with pytest.raises(HostFileError, match="is a directory"):
        host.read_text(str(tmp_path))


def test_proc_files_read_in_small_pieces() -> None:
    """procfs refuses one 4 MiB read of a sysctl file (ENOMEM); the host reads in chunks."""
    text = RealHost().read_text("/proc/sys/kernel/osrelease")
    assert text is not None
    assert text.strip() == os.uname().release


def test_unreadable_file_as_an_unprivileged_user(test_user: TestUser, user_tmp: Path) -> None:
    secret = user_tmp / "secret"
    secret.write_text("alice:100000:65536\n")
    require(os.geteuid() == 0, "making a file unreadable for the test user needs root")
    os.chown(secret, 0, 0)
    secret.chmod(0o600)
    code = (
        "import sys\n"
        "from rootless.doctor.host import RealHost, HostFileError\n"
        "try:\n"
        "    RealHost().read_text(sys.argv[1])\n"
        "except HostFileError as exc:\n"
        "    print(exc)\n"
    )
    res = test_user.python_cmd(code, str(secret))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"{secret} is not readable (permission denied)"


def test_identity_and_processes_of_this_machine() -> None:
    host = RealHost()
    assert host.uid == os.getuid()
    assert host.gid in host.groups
    me = host.process(os.getpid())
    assert me is not None
    assert me.uid == os.getuid()
    assert any(p.pid == os.getpid() for p in host.processes())
    assert any(a.uid == 0 for a in host.accounts())


def test_single_process_lookup_agrees_with_psutil() -> None:
    import psutil

    mine = RealHost().process(os.getpid())
    theirs = psutil.Process(os.getpid())
    assert mine is not None
    assert (mine.name, mine.uid, mine.cmdline) == (
        theirs.name(),
        theirs.uids().real,
        tuple(theirs.cmdline()),
    )
    assert abs(mine.start_time - theirs.create_time()) < 0.05
    assert RealHost().process(2**22 + 12345) is None


def _helpers_with(tmp_path: Path, caps: dict[str, str | None]) -> Path:
    """Copies of the real newuidmap/newgidmap in tmp_path, mode 0755, with file capabilities."""
    setcap = require_command("setcap", "libcap2-bin")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, cap in caps.items():
        source = shutil.which(name) or f"/usr/bin/{name}"
        target = bindir / name
        shutil.copyfile(source, target)
        target.chmod(0o755)
        if cap:
            subprocess.run([setcap, cap, str(target)], check=True, capture_output=True)
    return bindir


def test_real_file_capabilities_are_decoded(tmp_path: Path) -> None:
    require(os.geteuid() == 0, "setting file capabilities needs root (CI runs as root)")
    bindir = _helpers_with(tmp_path, {"newuidmap": "cap_setuid+ep", "newgidmap": "cap_setgid+ep"})
    host = RealHost()
    uid_caps = parse_vfs_capability(
        host.getxattr(str(bindir / "newuidmap"), "security.capability") or b""
    )
    gid_caps = parse_vfs_capability(
        host.getxattr(str(bindir / "newgidmap"), "security.capability") or b""
    )
    assert uid_caps is not None
    assert uid_caps.grants(CAP_SETUID)
    assert not uid_caps.grants(CAP_SETGID)
    assert gid_caps is not None
    assert gid_caps.grants(CAP_SETGID)


@pytest.mark.parametrize(
    ("caps", "status"),
    [
        pytest.param(
            {"newuidmap": "cap_setuid+ep", "newgidmap": "cap_setgid+ep"},
            "ok",
            id="file capabilities like Fedora",
        ),
        pytest.param(
            {"newuidmap": None, "newgidmap": "cap_setgid+ep"}, "fail", id="capabilities stripped"
        ),
    ],
)
def test_uidmap_helpers_check_on_real_binaries(tmp_path: Path, caps: dict, status: str) -> None:
    require(os.geteuid() == 0, "setting file capabilities needs root (CI runs as root)")
    bindir = _helpers_with(tmp_path, caps)
    host = RealHost(env={"PATH": str(bindir)})
    finding = next(
        f for f in diagnose(host, ["uidmap-helpers"]).findings if f.id == "uidmap-helpers"
    )
    mount = mount_for(host.mounts(), str(bindir))
    if status == "ok" and mount is not None and mount.has_option("nosuid"):
        assert "nosuid mount" in finding.summary
        return
    assert finding.status.value == status, finding
    if status == "ok":
        assert f"{bindir}/newuidmap: file capability cap_setuid+ep" in finding.details
    else:
        assert "neither setuid root nor has cap_setuid+ep (mode 0755)" in finding.summary
