"""Container state on disk: the JSON writer, names, status texts, ps table, k8s-file logs,
the /etc files (pure parts; the lifecycle runs for real in test_run.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rootless.engine import containers, netmode
from rootless.engine.containers import (
    ContainerError,
    LogWriter,
    dumps,
    format_ps,
    read_log_records,
    release_name,
    reserve_name,
    status_text,
    write_state,
)

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_json)
def test_dumps_round_trips_through_the_json_module(value: object) -> None:
    assert json.loads(dumps(value)) == value


def test_dumps_matches_json_for_a_state_document() -> None:
    state = {
        "id": "ab",
        "command": ["sh", "-c", 'echo "hi"\n\t\\'],
        "pid": 0,
        "ok": True,
        "x": None,
    }
    assert dumps(state) == json.dumps(state, ensure_ascii=False, sort_keys=True)


def test_state_with_undecodable_argv_bytes_is_still_readable(tmp_path: Path) -> None:
    arg = b"caf\xe9".decode("utf-8", "surrogateescape")  # as sys.argv holds it
    write_state(str(tmp_path), {"command": [arg]})
    assert containers.read_state(str(tmp_path)) == {"command": [arg]}


def test_names_are_claimed_atomically_and_stale_ones_reused(tmp_path: Path) -> None:
    base = str(tmp_path)
    os.mkdir(tmp_path / "id1")
    assert reserve_name(base, "web", "id1") == "web"
    with pytest.raises(ContainerError, match='the container name "web" is already in use by id1'):
        reserve_name(base, "web", "id2")
    os.rmdir(tmp_path / "id1")  # its container is gone: the name is free again
    assert reserve_name(base, "web", "id2") == "web"
    release_name(base, "web", "other")  # not ours: kept
    assert os.readlink(tmp_path / ".names" / "web") == "id2"
    release_name(base, "web", "id2")
    assert not (tmp_path / ".names" / "web").exists()


@pytest.mark.parametrize("name", ["", "-x", "a b", "a/b", "é"])
def test_invalid_names_are_usage_errors(tmp_path: Path, name: str) -> None:
    from rootless.errors import UsageError

    with pytest.raises(UsageError, match="invalid container name"):
        reserve_name(str(tmp_path), name, "id")


def test_generated_names_look_like_podmans(tmp_path: Path) -> None:
    name = reserve_name(str(tmp_path), None, "id")
    adjective, _, noun = name.partition("_")
    assert adjective in containers._ADJECTIVES
    assert noun in containers._NOUNS


@pytest.mark.parametrize(
    ("state", "text"),
    [
        pytest.param({"status": "created"}, "Created", id="created"),
        pytest.param(
            {"status": "exited", "exit_code": 3, "finished": "2026-01-01T00:00:00.000000000Z"},
            "Exited (3) 2 minutes ago",
            id="exited-with-code",
        ),
        pytest.param({"status": "exited", "exit_code": None}, "Exited (?)", id="exit-unknown"),
        pytest.param(
            {"status": "running", "monitor_pid": 2**22 + 12345, "monitor_start": 1},
            "Exited (?)",
            id="running-but-its-monitor-is-gone",
        ),
    ],
)
def test_status_text(state: dict[str, object], text: str) -> None:
    now = 1767225720.0  # 2026-01-01T00:02:00Z
    assert status_text(state, now) == text


def test_running_status_checks_the_monitor_process_identity() -> None:
    me = os.getpid()
    state = {
        "status": "running",
        "monitor_pid": me,
        "monitor_start": containers.proc_starttime(me),
        "started": containers.now_iso(),
    }
    assert status_text(state).startswith("Up ")
    state["monitor_start"] = -1  # a pid reused by another process
    assert status_text(state) == "Exited (?)"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (90, "About a minute"),
     (600, "10 minutes"), (3600, "About an hour"), (7200, "2 hours"), (3 * 86400, "3 days")],
)  # fmt: skip
def test_human_durations_like_docker(seconds: float, text: str) -> None:
    assert containers._human_duration(seconds) == text


def test_ps_table_truncates_like_podman() -> None:
    rows = [
        {
            "id": "a" * 64,
            "image": "busybox",
            "command": "httpd -f -p 80 -h /var/www",
            "created_ago": "1 second ago",
            "status": "Up 1 second ago",
            "ports": "127.0.0.1:8080->80/tcp",
            "name": "web",
        }
    ]
    lines = format_ps(rows).splitlines()
    assert lines[0].split() == [
        "CONTAINER",
        "ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    assert lines[1].startswith("a" * 12 + "  busybox  httpd -f -p 80 -h...  1 second ago")
    assert lines[1].endswith("127.0.0.1:8080->80/tcp  web")
    assert ("a" * 64) in format_ps(rows, no_trunc=True)


def test_log_writer_keeps_streams_apart_and_marks_partial_lines(tmp_path: Path) -> None:
    path = str(tmp_path / "ctr.log")
    logs = LogWriter(path)
    logs.feed("stdout", b"one\ntw")
    logs.feed("stderr", b"oops\n")
    logs.feed("stdout", b"o\nno newline")
    logs.close()
    records, offset = read_log_records(path)
    assert [(s, full, text) for _ts, s, full, text in records] == [
        ("stdout", True, b"one"),
        ("stderr", True, b"oops"),
        ("stdout", True, b"two"),
        ("stdout", False, b"no newline"),
    ]
    assert offset == os.path.getsize(path)
    assert all(ts.endswith("Z") and "T" in ts for ts, *_ in records)


def test_hosts_file_per_network_mode() -> None:
    text = netmode.hosts_file("private", "box", "web")
    assert "127.0.0.1\tlocalhost" in text
    assert text.endswith("127.0.1.1\tbox web\n")
    assert netmode.hosts_file("slirp4netns", "h", "h").endswith("10.0.2.100\th\n")
    assert netmode.hosts_file("host", "h", "n", host_hosts="1.2.3.4 x") == "1.2.3.4 x\n"


def test_resolv_conf_drops_loopback_nameservers() -> None:
    host = "search lan\nnameserver 127.0.0.53\nnameserver 192.0.2.1\noptions edns0\n"
    assert netmode.resolv_conf("private", host_text=host) == (
        "search lan\nnameserver 192.0.2.1\noptions edns0\n"
    )
    assert netmode.resolv_conf("slirp4netns", host_text=host).startswith("nameserver 10.0.2.3\n")
    assert netmode.resolv_conf("host", host_text=host) == host


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, "private"), ("none", "none"), ("host", "host"), ("pasta", "pasta"),
     ("slirp4netns", "slirp4netns")],
)  # fmt: skip
def test_network_modes(value: str | None, mode: str) -> None:
    assert netmode.parse_network(value) == mode


@pytest.mark.parametrize("value", ["bridge", "container:x", "slirp4netns:port_handler=x"])
def test_unsupported_network_modes_are_usage_errors(value: str) -> None:
    from rootless.errors import UsageError

    with pytest.raises(UsageError):
        netmode.parse_network(value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ROOTLESS_STORE": "/x/store", "XDG_DATA_HOME": "/x/data"}, "/x/store"),
        ({"XDG_DATA_HOME": "/x/data"}, "/x/data/rootless"),
        ({"HOME": "/home/u"}, "/home/u/.local/share/rootless"),
    ],
    ids=["ROOTLESS_STORE wins", "then XDG_DATA_HOME", "then the home directory"],
)
def test_the_store_root_rule_is_one_function_for_store_and_runtime(
    env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rootless.engine.paths import store_root
    from rootless.engine.store import Store, default_store_root

    for name in ("ROOTLESS_STORE", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert store_root() == expected
    assert str(default_store_root()) == expected
    assert str(Store().containers_dir) == containers.containers_dir() == expected + "/containers"


def test_the_run_path_does_not_import_the_store() -> None:
    import subprocess
    import sys

    code = "import sys, rootless.engine.containers; print('rootless.engine.store' in sys.modules)"
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",  # not the checkout: its rootless/ folder would shadow the installed package
    )
    assert res.stdout.strip() == "False"


def test_remove_tree_does_not_follow_symlinks_and_opens_locked_dirs(tmp_path: Path) -> None:
    from rootless.engine.runtime import remove_tree

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    tree = tmp_path / "tree"
    (tree / "locked" / "sub").mkdir(parents=True)
    (tree / "locked" / "sub" / "f").write_text("y")
    (tree / "empty").mkdir()
    (tree / "link").symlink_to(outside)
    os.chmod(tree / "locked", 0o000)  # like overlay's work/work (we own it)
    remove_tree(str(tree))
    assert not tree.exists()
    assert (outside / "keep").read_text() == "x"
    remove_tree(str(tree))  # already gone: fine


@pytest.mark.parametrize(
    ("ref", "cacheable"),
    [("busybox", False), ("library/busybox", False), ("docker.io/library/busybox", True),
     ("localhost/x", True), ("127.0.0.1:5000/x:1", True), ("sha256:abcd", True)],
)  # fmt: skip
def test_only_fully_qualified_lookups_are_remembered(ref: str, cacheable: bool) -> None:
    assert containers._cacheable(ref) is cacheable


def test_a_remembered_lookup_is_dropped_when_the_index_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOTLESS_STORE", str(tmp_path))
    index = tmp_path / "index.json"
    index.write_text("{}")
    (tmp_path / "rootfs").mkdir()
    src = containers.ImageSource(
        name="localhost/x:latest",
        lower=str(tmp_path / "rootfs"),
        config={"config": {"Cmd": ["sh"]}},
        mode="overlay",
        image_id="sha256:00",
        full_mapping=True,
    )
    containers._remember_image("localhost/x", src, str(index))
    hit = containers._cached_image("localhost/x")
    assert hit is not None
    assert (hit.name, hit.lower, hit.config, hit.full_mapping) == (
        src.name,
        src.lower,
        src.config,
        True,
    )
    assert containers._cached_image("localhost/y") is None
    index.write_text('{"changed": 1}')  # a pull, rmi or prune rewrote the index
    assert containers._cached_image("localhost/x") is None
