"""`rootless engine run IMAGE` at the command line, with images pulled from the loopback
registry (test_run.py covers the same behaviour with ``--rootfs DIR``; test_run_image.py the
store lookup, ``-p`` and ``rmi``): exit codes and output, an image config with Entrypoint,
Env, WorkingDir and User (and the options that override them), ``-d`` + ``ps`` + ``logs`` +
``stop``, ``--rm`` leaving nothing, isolation from host processes and files, and images with
whiteouts, zstd layers and a multi-arch index. Every test pulls into its own store."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from harness import TestUser

pytestmark = [pytest.mark.userns, pytest.mark.registry]


class Pulled:
    """An image pulled into a private store, and ``rootless engine`` commands on it."""

    def __init__(self, user: TestUser, store: Path, ref: str) -> None:
        self.user = user
        self.store = store
        self.ref = ref
        res = self.cmd("engine", "pull", "--tls-verify=false", ref)
        assert res.returncode == 0, res.stderr

    def cmd(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.user.rootless_cmd(
            *args, env={"ROOTLESS_STORE": str(self.store)}, input=input, timeout=120
        )

    def run(self, *args: str, image: str | None = None) -> subprocess.CompletedProcess[str]:
        """``engine run OPTIONS IMAGE CMD...``: options before ``--``, the command after."""
        cut = args.index("--") if "--" in args else len(args)
        opts, command = list(args[:cut]), list(args[cut + 1 :])
        return self.cmd("engine", "run", *opts, image or self.ref, *command)

    def container_dirs(self) -> list[str]:
        """Container directories and names left in the store."""
        base = self.store / "containers"
        found = [p.name for p in base.glob("*") if p.is_dir() and p.name != ".names"]
        return sorted(found + [p.name for p in (base / ".names").glob("*")])

    def rootfs_trees(self) -> list[Path]:
        return sorted(p for p in (self.store / "rootfs").iterdir() if p.is_dir())


@pytest.fixture
def busybox(test_user: TestUser, user_tmp: Path, oci_registry) -> Pulled:
    return Pulled(test_user, user_tmp / "store", oci_registry.ref("busybox"))


def _procs_with(marker: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        found.append(entry)
            except OSError:
                continue
    return found


def test_output_streams_and_exit_codes_of_a_pulled_image(busybox: Pulled) -> None:
    res = busybox.run("--rm", "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (res.returncode, res.stdout, res.stderr) == (7, "out\n", "err\n")
    missing = busybox.run("--rm", "--", "no-such-command")
    assert missing.returncode == 127
    assert "executable file `no-such-command` not found in $PATH" in missing.stderr
    not_executable = busybox.run("--rm", "--", "/etc/motd")
    assert not_executable.returncode == 126
    assert "cannot run `/etc/motd`: Permission denied" in not_executable.stderr
    assert busybox.run("--rm", "--", "true").returncode == 0
    assert busybox.container_dirs() == []


def test_an_image_config_entrypoint_env_workdir_and_user_and_their_overrides(
    test_user: TestUser, user_tmp: Path, oci_registry
) -> None:
    import oci_registry as reg

    base = oci_registry.images["busybox"]
    server = oci_registry.server
    _, _, layer = server.http("GET", f"/v2/library/busybox/blobs/{base.layer_digests[0]}")
    tar = reg.gzip.decompress(layer)
    repo = f"library/configured-{uuid.uuid4().hex[:8]}"
    reg.push_image(
        server,
        repo,
        "latest",
        [(tar, layer, reg.OCI_GZIP)],
        config_extra={
            "Entrypoint": [
                "/bin/sh",
                "-c",
                'echo "$0 $* as $(id -un):$(id -gn) in $(pwd) FOO=$FOO PATH=$PATH HOME=$HOME"',
                "entry",
            ],
            "Cmd": ["from-image"],
            "Env": ["FOO=image", "PATH=/bin:/usr/bin"],
            "WorkingDir": "/home/www",
            "User": "www",
        },
    )
    image = Pulled(test_user, user_tmp / "store", f"{oci_registry.host}/{repo}:latest")
    plain = image.run("--rm")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == (
        "entry from-image as www:www in /home/www FOO=image PATH=/bin:/usr/bin HOME=/home/www\n"
    )
    overridden = image.run(
        "--rm", "-e", "FOO=cli", "-w", "/tmp", "-u", "nobody:nogroup", "--", "from-cli"
    )
    assert overridden.returncode == 0, overridden.stderr
    assert overridden.stdout == (
        "entry from-cli as nobody:nogroup in /tmp FOO=cli PATH=/bin:/usr/bin HOME=/nonexistent\n"
    )
    entry = image.run("--rm", "--entrypoint", "id", "--", "-un")  # replaces it, drops Cmd
    assert (entry.returncode, entry.stdout) == (0, "www\n")


def test_detached_pulled_image_with_ps_logs_stop_and_rm(busybox: Pulled) -> None:
    marker = f"d{uuid.uuid4().hex}"
    script = f"echo up-{marker}; trap 'echo bye >&2; exit 3' TERM; while :; do sleep 0.1; done"
    res = busybox.run("-d", "--name", marker, "--", "sh", "-c", script)
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    try:
        rows = json.loads(busybox.cmd("engine", "ps", "--json").stdout)
        (row,) = [r for r in rows if r["name"] == marker]
        assert (row["id"], row["image"], row["running"]) == (cid, busybox.ref, True)
        follow = busybox.user.popen(
            [busybox.user.rootless, "engine", "logs", "-f", marker],
            env={"ROOTLESS_STORE": str(busybox.store)},
            stdout=subprocess.PIPE,
        )
        assert follow.stdout is not None
        assert follow.stdout.readline() == f"up-{marker}\n".encode()  # -f sees it live
        stop = busybox.cmd("engine", "stop", marker)
        assert (stop.returncode, stop.stdout) == (0, f"{marker}\n")
        assert follow.wait(timeout=60) == 0  # -f ends with the container
        logs = busybox.cmd("engine", "logs", marker)
        assert (logs.stdout, logs.stderr) == (f"up-{marker}\n", "bye\n")
        exited = busybox.cmd("engine", "ps", "-a")
        assert "Exited (3)" in next(ln for ln in exited.stdout.splitlines() if marker in ln)
        assert _procs_with(marker) == []
    finally:
        rm = busybox.cmd("engine", "rm", "-f", marker)
    assert rm.returncode == 0, rm.stderr
    assert busybox.container_dirs() == []


def test_rm_leaves_nothing_and_the_container_is_isolated_from_host_processes_and_files(
    busybox: Pulled, user_tmp: Path
) -> None:
    marker = f"host-{uuid.uuid4().hex}"
    volume = user_tmp / "vol"
    volume.mkdir()
    os.chmod(volume, 0o777)
    (user_tmp / "host-file").write_text("untouched\n")
    os.chmod(user_tmp / "host-file", 0o644)
    before = {p: sorted(q.name for q in p.iterdir()) for p in busybox.rootfs_trees()}
    host = subprocess.Popen(["sh", "-c", "sleep 300", marker])  # must stay invisible
    try:
        res = busybox.run(
            "--rm",
            "-v",
            f"{volume}:/data",
            "--",
            "sh",
            "-c",
            "cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo; "
            f"ls {user_tmp}/host-file 2>&1; "
            "echo changed > /etc/motd && echo wrote-own-layer; "
            "echo out > /data/file && echo wrote-volume; "
            "touch /newfile && echo made-newfile",
        )
    finally:
        host.kill()
        host.wait()
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "sh -c cat /proc" in lines[0]
    assert marker not in lines[0]  # the host process is not visible
    assert "No such file or directory" in lines[1]  # host paths do not exist inside
    assert lines[2:] == ["wrote-own-layer", "wrote-volume", "made-newfile"]
    assert (volume / "file").read_text() == "out\n"
    assert (user_tmp / "host-file").read_text() == "untouched\n"
    after = {p: sorted(q.name for q in p.iterdir()) for p in busybox.rootfs_trees()}
    assert after == before  # the image's rootfs is untouched: writes went to the overlay
    (tree,) = busybox.rootfs_trees()
    assert "newfile" not in after[tree]
    assert (tree / "etc/motd").read_text() == "welcome\n"
    assert busybox.container_dirs() == []
    runroot = busybox.user.runtime_dir / "rootless" / "containers"
    leftovers = [d for d in runroot.glob("*") if (d / "hosts").exists()] if runroot.exists() else []
    assert not [d for d in leftovers if busybox.ref in (d / "hosts").read_text()]


@pytest.mark.parametrize(
    ("key", "script", "expected"),
    [
        (
            "layered",
            "ls /etc/motd 2>&1; stat -c '%u:%g %n' /etc/added-by-layer2; ls /opq",
            [
                "ls: /etc/motd: No such file or directory",
                "101:101 /etc/added-by-layer2",
                "keepdir",
                "new1",
                "new2",
            ],
        ),
        (
            "zstd",
            "stat -c '%u:%g %n' /zstd/file00 /zstd/file49; head -c 11 /zstd/file07; echo",
            ["65534:65534 /zstd/file00", "65534:65534 /zstd/file49", "zstd file 7"],
        ),
        ("multiarch", "uname -m >/dev/null && echo native", ["native"]),
    ],
    ids=[
        "whiteouts and an opaque directory",
        "a multi-frame zstd layer",
        "the host's entry of a multi-arch index",
    ],
)
def test_layered_zstd_and_multi_arch_images_run(
    test_user: TestUser,
    user_tmp: Path,
    oci_registry,
    *,
    key: str,
    script: str,
    expected: list[str],
) -> None:
    image = Pulled(test_user, user_tmp / "store", oci_registry.ref(key))
    res = image.run("--rm", "--", "sh", "-c", script)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == expected
