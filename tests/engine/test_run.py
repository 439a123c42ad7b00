"""`rootless engine run` for real: the unprivileged test user runs a busybox rootfs whose
files are owned by sub-ids (101, 65534, 1000), in its own user, mount, pid, uts, ipc and
network namespaces. Every test uses its own store (ROOTLESS_STORE) and marker strings, so
engineers sharing the test users can run the suite concurrently."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from harness import TestUser, require_command

pytestmark = pytest.mark.userns

CAPS_PODMAN_DEFAULT = "00000000800405fb"


class Engine:
    """``rootless engine ...`` as a user, with a private store."""

    def __init__(self, user: TestUser, store: Path, rootfs: Path) -> None:
        self.user = user
        self.store = store
        self.rootfs = rootfs

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"ROOTLESS_STORE": str(self.store), **(extra or {})}

    def cmd(self, *args: str, env: dict[str, str] | None = None, input: str | None = None):
        return self.user.rootless_cmd(*args, env=self.env(env), input=input, timeout=120)

    def run(self, *args: str, env: dict[str, str] | None = None, input: str | None = None):
        """``engine run [args] --rootfs ROOTFS:O CMD...``: args before ``--`` are options."""
        if "--" in args:
            cut = args.index("--")
            opts, command = list(args[:cut]), list(args[cut + 1 :])
        else:
            opts, command = [], list(args)
        return self.cmd(
            "engine", "run", *opts, "--rootfs", f"{self.rootfs}:O", *command, env=env, input=input
        )

    def container_dirs(self) -> list[str]:
        base = self.store / "containers"
        if not base.exists():
            return []
        return sorted(p.name for p in base.iterdir() if not p.name.startswith("."))

    def runroot_mentions(self, marker: str) -> list[str]:
        """Transient dirs (on $XDG_RUNTIME_DIR) whose generated /etc/hosts names ``marker``."""
        base = self.user.runtime_dir / "rootless" / "containers"
        hits = []
        for hosts in base.glob("*/hosts") if base.exists() else []:
            try:
                if marker in hosts.read_text():
                    hits.append(str(hosts.parent))
            except OSError:
                continue
        return hits

    def names(self) -> list[str]:
        base = self.store / "containers" / ".names"
        return sorted(p.name for p in base.iterdir()) if base.exists() else []


@pytest.fixture
def engine(test_user: TestUser, user_tmp: Path, busybox_rootfs: Path) -> Engine:
    return Engine(test_user, user_tmp / "store", busybox_rootfs)


def _procs_with(marker: str) -> list[str]:
    """Processes (of anyone) whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{entry}: {cmdline}")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------------------
# output, exit codes, owners, identity


def test_output_goes_to_the_terminal_and_the_exit_code_is_propagated(engine: Engine) -> None:
    res = engine.run("--rm", "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert res.returncode == 7, res.stderr
    assert res.stdout == "out\n"
    assert res.stderr == "err\n"


def test_a_successful_command_exits_zero(engine: Engine) -> None:
    res = engine.run("--rm", "--", "true")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


def test_files_keep_their_sub_id_owners_inside(engine: Engine) -> None:
    res = engine.run(
        "--rm", "--", "stat", "-c", "%u:%g %n", "/var/www/index.html", "/srv/nobody.txt", "/bin"
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "101:101 /var/www/index.html",
        "65534:65534 /srv/nobody.txt",
        "0:0 /bin",
    ]


def test_root_in_the_container_has_podman_default_caps_and_no_new_privs(engine: Engine) -> None:
    res = engine.run(
        "--rm", "--", "sh", "-c", "id; grep -E '^(Cap(Eff|Bnd|Inh)|NoNewPrivs):' /proc/self/status"
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split("\n")
    assert lines[0].startswith("uid=0(root) gid=0(root)")
    status = dict(line.split(":\t") for line in lines[1:] if line)
    assert status == {
        "CapInh": "0000000000000000",
        "CapEff": CAPS_PODMAN_DEFAULT,
        "CapBnd": CAPS_PODMAN_DEFAULT,
        "NoNewPrivs": "1",
    }


def test_user_name_resolves_through_the_containers_passwd_and_group(engine: Engine) -> None:
    res = engine.run(
        "--rm",
        "-u",
        "app",
        "--",
        "sh",
        "-c",
        'id; echo "HOME=$HOME"; grep CapEff /proc/self/status',
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    # runc's rule: supplementary groups are the /etc/group memberships (busybox's id lists
    # getgroups() only)
    assert out[0] == "uid=1000(app) gid=1000(app) groups=10(wheel),50(staff)"
    assert out[1] == "HOME=/home/app"
    assert out[2] == "CapEff:\t0000000000000000"


def test_numeric_user_and_group_need_no_passwd_entry(engine: Engine) -> None:
    res = engine.run("--rm", "--user", "4242:staff", "--", "id")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "uid=4242 gid=50(staff)"  # no supplementary groups


def test_unknown_user_name_is_an_engine_error(engine: Engine) -> None:
    res = engine.run("--rm", "-u", "ghost", "--", "id")
    assert res.returncode == 125
    assert "unable to find user ghost: no matching entries in passwd file" in res.stderr
    assert engine.container_dirs() == []


def test_env_env_file_workdir_and_default_path(engine: Engine, user_tmp: Path) -> None:
    env_file = user_tmp / "vars.env"
    env_file.write_text("# comment\nFROM_FILE=1\nSHARED=file\n  SPACED=yes\n")
    os.chmod(env_file, 0o644)
    res = engine.run(
        "--rm",
        "-e",
        "SHARED=cli",
        "--env-file",
        str(env_file),
        "-e",
        "PASSED",
        "-w",
        "/made/for/you",
        "--hostname",
        "box",
        "--",
        "sh",
        "-c",
        "pwd; env | sort",
        env={"PASSED": "from-host"},
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "/made/for/you"
    env = dict(line.split("=", 1) for line in lines[1:])
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["HOSTNAME"] == "box"
    assert env["HOME"] == "/root"
    assert env["FROM_FILE"] == "1"
    assert env["SPACED"] == "yes"
    assert env["SHARED"] == "cli"
    assert env["PASSED"] == "from-host"
    assert "ROOTLESS_STORE" not in env


def test_hostname_and_the_generated_etc_files(engine: Engine) -> None:
    res = engine.run(
        "--rm",
        "--name",
        "named-box",
        "--hostname",
        "box",
        "--",
        "sh",
        "-c",
        "hostname; cat /etc/hostname; grep box /etc/hosts; grep -c nameserver /etc/resolv.conf || true",
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[:3] == ["box", "box", "127.0.1.1\tbox named-box"]


def test_command_not_found_is_127_and_not_executable_is_126(engine: Engine) -> None:
    res = engine.run("--rm", "--", "no-such-command")
    assert res.returncode == 127
    assert "executable file `no-such-command` not found in $PATH" in res.stderr
    res = engine.run("--rm", "--", "/etc/passwd")
    assert res.returncode == 126
    assert "cannot run `/etc/passwd`: Permission denied" in res.stderr


def test_stdin_is_attached_with_i_and_empty_without(engine: Engine) -> None:
    res = engine.run("--rm", "-i", "--", "sh", "-c", "tr a-z A-Z", input="piped in\n")
    assert (res.returncode, res.stdout) == (0, "PIPED IN\n")
    res = engine.run("--rm", "--", "cat", input="not attached\n")
    assert (res.returncode, res.stdout) == (0, "")


def test_tty_gives_the_container_a_terminal(engine: Engine) -> None:
    script = require_command("script", "bsdutils")
    inner = " ".join(
        [
            engine.user.rootless,
            "engine",
            "run",
            "--rm",
            "-t",
            "--rootfs",
            f"{engine.rootfs}:O",
            "sh",
            "-c",
            "'[ -t 0 ] && [ -t 1 ] && echo is-a-tty; echo TERM=$TERM'",
        ]
    )
    res = engine.user.run([script, "-qec", inner, "/dev/null"], env=engine.env(), timeout=120)
    assert res.returncode == 0, res.stderr
    assert "is-a-tty" in res.stdout
    assert "TERM=xterm" in res.stdout


# --------------------------------------------------------------------------------------
# isolation


def test_the_container_sees_only_its_own_processes(engine: Engine) -> None:
    marker = f"host-{uuid.uuid4().hex}"
    host = subprocess.Popen(["sh", "-c", "sleep 300", marker])  # must stay invisible
    try:
        res = engine.run(
            "--rm",
            "--",
            "sh",
            "-c",
            "ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; "
            "cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo; tr '\\0' ' ' < /proc/1/cmdline; echo",
        )
    finally:
        host.kill()
        host.wait()
    assert res.returncode == 0, res.stderr
    pids, cmdlines, init = res.stdout.splitlines()
    assert pids.split()[0] == "1"
    assert max(int(p) for p in pids.split()) < 16  # a fresh pid namespace
    assert marker not in cmdlines
    assert init.startswith("sh -c ls /proc")


def test_the_container_cannot_write_host_files_outside_its_volumes(
    engine: Engine, user_tmp: Path
) -> None:
    host_file = user_tmp / "host-secret.txt"
    host_file.write_text("untouched\n")
    os.chmod(host_file, 0o644)
    rw = user_tmp / "rw"
    rw.mkdir()
    os.chmod(rw, 0o777)
    script = (
        f"ls {host_file} 2>&1; "
        "echo changed > /etc/motd && echo wrote-rootfs; "
        "echo out > /data/from-container && echo wrote-volume; "
        "for d in /proc/sys/kernel /sys/kernel; do touch $d/x 2>/dev/null && echo wrote-$d; done; "
        "true"
    )
    res = engine.run("--rm", "-v", f"{rw}:/data", "--", "sh", "-c", script)
    assert res.returncode == 0, res.stderr
    assert "No such file or directory" in res.stdout  # the host path does not exist inside
    assert "wrote-rootfs" in res.stdout  # its own overlay is writable ...
    assert not (engine.rootfs / "etc/motd").exists()  # ... and the image is not touched
    assert "wrote-volume" in res.stdout
    assert (rw / "from-container").read_text() == "out\n"
    assert "wrote-/proc" not in res.stdout
    assert "wrote-/sys" not in res.stdout
    assert host_file.read_text() == "untouched\n"


def test_a_read_only_volume_is_really_read_only(engine: Engine, user_tmp: Path) -> None:
    data = user_tmp / "ro"
    data.mkdir()
    (data / "file").write_text("original\n")
    os.chmod(data, 0o777)
    os.chmod(data / "file", 0o666)
    script = (
        "cat /data/file; "
        "echo x > /data/file 2>&1 || echo write-refused; "
        "touch /data/new 2>&1 || echo create-refused; "
        "mount -o remount,rw /data 2>/dev/null && echo remounted-rw; "
        "grep ' /data ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1"
    )
    res = engine.run("--rm", "-v", f"{data}:/data:ro", "--", "sh", "-c", script)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "original"
    assert "write-refused" in res.stdout
    assert "create-refused" in res.stdout
    assert "remounted-rw" not in res.stdout
    assert res.stdout.splitlines()[-1] == "ro"
    assert (data / "file").read_text() == "original\n"
    assert not (data / "new").exists()


def test_the_private_network_has_only_loopback_and_it_is_up(engine: Engine) -> None:
    res = engine.run("--rm", "--", "ip", "-o", "link")
    assert res.returncode == 0, res.stderr
    links = res.stdout.splitlines()
    assert len(links) == 1
    assert ": lo: <LOOPBACK,UP,LOWER_UP>" in links[0]


def test_network_host_shares_the_hosts_interfaces(engine: Engine) -> None:
    res = engine.run("--rm", "--network", "host", "--", "ip", "-o", "link")
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.splitlines()) == len(os.listdir("/sys/class/net"))


# --------------------------------------------------------------------------------------
# lifecycle: --rm, -d, ps, logs, stop, rm


def test_rm_leaves_no_directory_no_name_and_no_process(engine: Engine) -> None:
    marker = f"m{uuid.uuid4().hex}"
    res = engine.run("--rm", "--name", marker, "--", "sh", "-c", f"echo {marker}")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == marker
    assert engine.container_dirs() == []
    assert engine.runroot_mentions(marker) == []
    assert engine.names() == []
    assert _procs_with(marker) == []
    with open("/proc/self/mountinfo") as fh:
        assert str(engine.store) not in fh.read()


def test_without_rm_the_container_is_kept_and_listed_as_exited(engine: Engine) -> None:
    res = engine.run("--name", "kept", "--", "sh", "-c", "exit 3")
    assert res.returncode == 3
    ps = engine.cmd("engine", "ps", "-a")
    assert ps.returncode == 0, ps.stderr
    row = [line for line in ps.stdout.splitlines() if line.endswith("kept")]
    assert len(row) == 1
    assert "Exited (3)" in row[0]
    assert "kept" not in engine.cmd("engine", "ps").stdout  # not running
    rm = engine.cmd("engine", "rm", "kept")
    assert (rm.returncode, rm.stdout) == (0, "kept\n")
    assert engine.container_dirs() == []


def test_names_are_unique(engine: Engine) -> None:
    assert engine.run("--name", "twin", "--", "true").returncode == 0
    res = engine.run("--name", "twin", "--", "true")
    assert res.returncode == 125
    assert 'the container name "twin" is already in use' in res.stderr
    assert engine.cmd("engine", "rm", "twin").returncode == 0


def test_detached_container_ps_logs_stop_rm(engine: Engine) -> None:
    marker = f"d{uuid.uuid4().hex}"
    script = (
        f"echo hello-{marker}; echo oops >&2; "
        "trap 'echo got-term; exit 0' TERM; while :; do sleep 0.1; done"
    )
    res = engine.run("-d", "--name", marker, "--", "sh", "-c", script)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    assert len(cid) == 64
    try:
        ps = engine.cmd("engine", "ps")
        assert marker in ps.stdout
        assert "Up " in ps.stdout
        js = engine.cmd("engine", "ps", "--json")
        import json

        rows = [r for r in json.loads(js.stdout) if r["name"] == marker]
        assert rows[0]["id"] == cid
        assert rows[0]["running"] is True
        assert rows[0]["pid"] > 0
        # logs: wait (by following) until the first line is there is not needed: stop first
        stop = engine.cmd("engine", "stop", marker)
        assert (stop.returncode, stop.stdout) == (0, f"{marker}\n")
        logs = engine.cmd("engine", "logs", marker)
        assert logs.returncode == 0
        assert logs.stdout == f"hello-{marker}\ngot-term\n"
        assert logs.stderr == "oops\n"
        tail = engine.cmd("engine", "logs", "--tail", "1", marker)
        assert tail.stdout == "got-term\n"
        after = engine.cmd("engine", "ps", "-a")
        row = next(line for line in after.stdout.splitlines() if line.endswith(marker))
        assert "Exited (0)" in row
        assert _procs_with(marker) == []
    finally:
        rm = engine.cmd("engine", "rm", "-f", marker)
    assert rm.returncode == 0, rm.stderr
    assert engine.container_dirs() == []
    assert engine.runroot_mentions(marker) == []
    assert _procs_with(marker) == []


def test_rm_refuses_a_running_container_without_force(engine: Engine) -> None:
    marker = f"r{uuid.uuid4().hex}"
    res = engine.run("-d", "--name", marker, "--", "sh", "-c", f"# {marker}\nsleep 300")
    assert res.returncode == 0, res.stderr
    refused = engine.cmd("engine", "rm", marker)
    assert refused.returncode == 2
    assert "as it is running" in refused.stderr
    assert engine.cmd("engine", "ps", "-q").stdout.strip() == res.stdout.strip()[:12]
    forced = engine.cmd("engine", "rm", "-f", "-t", "0", marker)
    assert forced.returncode == 0, forced.stderr
    assert engine.container_dirs() == []
    assert _procs_with(marker) == []


def test_stop_kills_after_the_timeout_when_pid1_ignores_sigterm(engine: Engine) -> None:
    marker = f"k{uuid.uuid4().hex}"
    res = engine.run("-d", "--rm", "--name", marker, "--", "sleep", "300")
    assert res.returncode == 0, res.stderr
    stop = engine.cmd("engine", "stop", "-t", "1", marker)
    assert stop.returncode == 0
    assert "resorting to SIGKILL" in stop.stderr
    assert engine.container_dirs() == []  # --rm: gone after stop
    assert engine.runroot_mentions(marker) == []
    assert engine.names() == []


def test_signals_are_forwarded_to_the_container(engine: Engine) -> None:
    script = "trap 'echo got-usr1' USR1; trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.1; done"
    proc = engine.user.popen(
        [
            engine.user.rootless,
            "engine",
            "run",
            "--rm",
            "--rootfs",
            f"{engine.rootfs}:O",
            "sh",
            "-c",
            script,
        ],
        env=engine.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        proc.send_signal(signal.SIGUSR1)
        assert proc.stdout.readline() == b"got-usr1\n"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 42, err
    assert out == b"got-term\n"
    assert engine.container_dirs() == []


# --------------------------------------------------------------------------------------
# ports


def test_published_port_round_trip_to_busybox_httpd(engine: Engine) -> None:
    import urllib.request

    port = _free_port()
    marker = f"w{uuid.uuid4().hex}"
    res = engine.run(
        "-d",
        "--rm",
        "--name",
        marker,
        "-p",
        f"127.0.0.1:{port}:80",
        "--",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/var/www",
    )
    assert res.returncode == 0, res.stderr
    try:
        ps = engine.cmd("engine", "ps")
        assert f"127.0.0.1:{port}->80/tcp" in ps.stdout
        bodies = []
        for _ in range(3):  # several connections through the same relay
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=30) as r:
                bodies.append(r.read().decode())
        assert bodies == ["hello from busybox httpd\n"] * 3
    finally:
        stop = engine.cmd("engine", "stop", "-t", "0", marker)
    assert stop.returncode == 0
    assert engine.container_dirs() == []
    with socket.socket() as s:  # nothing listens on the host port any more
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
        s.bind(("127.0.0.1", port))
        s.listen(1)


def test_published_port_relays_large_data_and_half_close(engine: Engine) -> None:
    """`nc` inside reads until EOF (our half-close), then answers with a checksum."""
    import hashlib

    port = _free_port()
    payload = os.urandom(3 * 1024 * 1024 + 17)
    script = "nc -l -p 7000 -e sh -c 'md5sum | cut -d\" \" -f1'"
    res = engine.run("-d", "--rm", "-p", f"127.0.0.1:{port}:7000", "--", "sh", "-c", script)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    try:
        reply = b""
        for _ in range(100):  # nc may not listen yet: the forwarder then closes at once
            with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
                try:
                    c.sendall(payload)
                    c.shutdown(socket.SHUT_WR)
                except OSError:
                    continue
                chunks = []
                try:
                    while data := c.recv(65536):
                        chunks.append(data)
                except ConnectionResetError:  # closed with our data unread: nc was not up
                    chunks = []
                reply = b"".join(chunks)
            if reply:
                break
            import time

            time.sleep(0.1)
        assert reply.decode().strip() == hashlib.md5(payload).hexdigest()
    finally:
        engine.cmd("engine", "rm", "-f", "-t", "0", cid)


def test_a_taken_host_port_fails_early_naming_the_check(engine: Engine) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        res = engine.run("--rm", "-p", f"127.0.0.1:{port}:80", "--", "true")
    assert res.returncode == 125
    assert f"127.0.0.1:{port} is already in use" in res.stderr
    assert "pick another host port (-p OTHER:80)" in res.stderr
    assert "explained by: rootless doctor published-ports" in res.stderr
    assert engine.container_dirs() == []


def test_ports_with_network_none_are_discarded_like_podman(engine: Engine) -> None:
    res = engine.run("--rm", "--network", "none", "-p", "127.0.0.1:1:80", "--", "true")
    assert res.returncode == 0, res.stderr
    assert "Port mappings have been discarded" in res.stderr


def test_slirp4netns_without_a_usable_tun_device_names_the_check(engine: Engine) -> None:
    require_command("slirp4netns", "slirp4netns")
    res = engine.run("--rm", "--network", "slirp4netns", "--", "true")
    if res.returncode == 0:  # a host where /dev/net/tun works: outbound networking is up
        out = engine.run("--rm", "--network", "slirp4netns", "--", "ip", "-o", "link")
        assert "tap0" in out.stdout
        return
    assert res.returncode == 125
    assert "slirp4netns failed" in res.stderr
    assert "rootless doctor tun-device" in res.stderr
    assert engine.container_dirs() == []


# --------------------------------------------------------------------------------------
# fallbacks


def test_single_mapping_fallback_for_a_user_without_sub_ids(
    test_user_nosubid: TestUser, busybox_rootfs_nosubid: Path
) -> None:
    with test_user_nosubid.tmpdir() as tmp:
        eng = Engine(test_user_nosubid, tmp / "store", busybox_rootfs_nosubid)
        res = eng.run(
            "--rm",
            "--",
            "sh",
            "-c",
            "id; stat -c %u:%g /var/www/index.html; cat /proc/self/uid_map",
        )
        assert res.returncode == 0, res.stderr
        assert "single-id mapping" in res.stderr
        assert "rootless doctor subid-ranges" in res.stderr
        lines = res.stdout.splitlines()
        assert lines[0].startswith("uid=0(root) gid=0(root)")
        assert lines[1] == "0:0"  # squashed at build time: no other ids exist
        assert lines[2].split() == ["0", str(test_user_nosubid.uid), "1"]
        denied = eng.run("--rm", "-u", "app", "--", "id")
        assert denied.returncode == 125
        assert "not mapped in the user namespace" in denied.stderr
        assert "rootless doctor subid-ranges" in denied.stderr
        assert eng.container_dirs() == []


def test_copy_fallback_when_overlay_is_not_wanted(engine: Engine) -> None:
    res = engine.run(
        "--rm",
        "--",
        "sh",
        "-c",
        "echo x > /etc/copied && grep -c ' / overlay ' /proc/mounts || true",
        env={"ROOTLESS_ROOTFS_MODE": "copy"},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "0"  # no overlay: a private copy
    assert not (engine.rootfs / "etc/copied").exists()
    assert engine.container_dirs() == []


def test_image_config_entrypoint_cmd_env_workdir_and_user(
    test_user: TestUser, user_tmp: Path, busybox_rootfs: Path
) -> None:
    """The library entry point with an OCI image config (what `run IMAGE` passes)."""
    code = r"""
import json, sys
from rootless.engine.containers import ImageSource, RunOptions, run
config = {"config": {
    "Entrypoint": ["/bin/sh", "-c", "echo \"$0 $* as $(id -un) in $(pwd) FOO=$FOO\"", "entry"],
    "Cmd": ["from-cmd"], "Env": ["FOO=image", "PATH=/bin"], "WorkingDir": "/srv",
    "User": "www"}}
src = ImageSource(name="sample:latest", lower=sys.argv[1], config=config, mode="overlay")
for argv in ([], ["from-cli"]):
    sys.stdout.flush()
    rc = run(RunOptions(image="sample:latest", command=argv, rm=True), source=src)
    print("rc", rc, flush=True)
rc = run(RunOptions(image="sample:latest", entrypoint="id", rm=True, env=["FOO=cli"]), source=src)
print("rc", rc, flush=True)
"""
    res = test_user.python_cmd(
        code, str(busybox_rootfs), env={"ROOTLESS_STORE": str(user_tmp / "store")}
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "entry from-cmd as www in /srv FOO=image",
        "rc 0",
        "entry from-cli as www in /srv FOO=image",
        "rc 0",
        "uid=101(www) gid=101(www) groups=50(staff)",
        "rc 0",
    ]


def test_rootfs_without_overlay_is_used_in_place_like_podman(
    test_user: TestUser, user_tmp: Path
) -> None:
    from harness import build_busybox_rootfs

    rootfs = build_busybox_rootfs(test_user, user_tmp / "own-rootfs")
    eng = Engine(test_user, user_tmp / "store", rootfs)
    res = eng.cmd(
        "engine", "run", "--rm", "--rootfs", str(rootfs), "sh", "-c", "echo kept > /srv/written"
    )
    assert res.returncode == 0, res.stderr
    assert (rootfs / "srv/written").read_text() == "kept\n"  # podman's --rootfs: in place
    assert eng.container_dirs() == []


def test_an_image_that_is_not_in_the_store_is_an_engine_error(engine: Engine) -> None:
    res = engine.cmd("engine", "run", "--rm", "no-such-image-here:latest", "true")
    assert res.returncode == 125
    assert "image not known locally" in res.stderr or "no image store" in res.stderr
    assert engine.container_dirs() == []


def test_detached_tty_output_is_logged(engine: Engine) -> None:
    marker = f"t{uuid.uuid4().hex}"
    res = engine.run("-d", "-t", "--name", marker, "--", "sh", "-c", "[ -t 1 ] && echo tty-out")
    assert res.returncode == 0, res.stderr
    follow = engine.cmd("engine", "logs", "-f", marker)  # returns once the container ended
    assert follow.returncode == 0
    assert follow.stdout.replace("\r", "") == "tty-out\n"
    assert engine.cmd("engine", "rm", marker).returncode == 0


def test_symlinks_in_the_image_cannot_redirect_mounts_outside_the_rootfs(
    test_user: TestUser, user_tmp: Path
) -> None:
    """/dev, /proc and /etc/hosts that point at host paths resolve inside the rootfs."""
    from harness import build_busybox_rootfs

    rootfs = build_busybox_rootfs(test_user, user_tmp / "hostile")
    outside = user_tmp / "outside"  # must never be created
    script = (
        "import os, sys\n"
        "root, outside = sys.argv[1], sys.argv[2]\n"
        "for d in ('dev', 'proc'):\n"
        "    os.rmdir(os.path.join(root, d))\n"
        "    os.symlink(outside + '/' + d, os.path.join(root, d))\n"
        "os.symlink('../../../../../../..' + outside + '/hosts', os.path.join(root, 'etc/hosts'))\n"
    )
    res = test_user.python_cmd(script, str(rootfs), str(outside))
    assert res.returncode == 0, res.stderr
    eng = Engine(test_user, user_tmp / "store", rootfs)
    res = eng.run(
        "--rm",
        "--hostname",
        "inside",
        "--",
        "sh",
        "-c",
        "cat /etc/hosts | grep -c inside; ls /dev/null /proc/self/status",
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["1", "/dev/null", "/proc/self/status"]
    assert not outside.exists()


@pytest.mark.parametrize("hostname", ["two words", "x" * 65, "new\nline"])
def test_invalid_hostnames_are_usage_errors(engine: Engine, hostname: str) -> None:
    res = engine.run("--rm", "--hostname", hostname, "--", "true")
    assert res.returncode == 2
    assert "invalid --hostname" in res.stderr
    assert engine.container_dirs() == []
