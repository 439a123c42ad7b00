"""Image config + podman options -> the container process (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootless.engine.spec import (
    DEFAULT_PATH,
    ExecUser,
    SpecError,
    UserLookupError,
    Volume,
    build_process,
    command_line,
    home_env,
    merge_env,
    parse_entrypoint,
    parse_env_file,
    parse_env_items,
    parse_volume,
    resolve_user,
)
from rootless.errors import UsageError

IMAGE = {"Entrypoint": ["/entry.sh"], "Cmd": ["serve", "--port", "80"]}


@pytest.mark.parametrize(
    ("image", "command", "entrypoint", "expected"),
    [
        pytest.param(
            IMAGE, [], None, ["/entry.sh", "serve", "--port", "80"], id="image-entrypoint-plus-cmd"
        ),
        pytest.param(IMAGE, ["sh"], None, ["/entry.sh", "sh"], id="cli-command-replaces-cmd-only"),
        pytest.param(IMAGE, [], "/bin/sh", ["/bin/sh"], id="entrypoint-flag-drops-the-image-cmd"),
        pytest.param(
            IMAGE,
            ["-c", "id"],
            "/bin/sh",
            ["/bin/sh", "-c", "id"],
            id="entrypoint-flag-with-command",
        ),
        pytest.param(
            IMAGE, [], '["/bin/sh","-c"]', ["/bin/sh", "-c"], id="entrypoint-flag-as-json-array"
        ),
        pytest.param(
            IMAGE, [], "", ["serve", "--port", "80"], id="empty-entrypoint-flag-keeps-image-cmd"
        ),
        pytest.param({"Cmd": ["sh"]}, [], None, ["sh"], id="cmd-only-image"),
        pytest.param({}, ["ls", "-l"], None, ["ls", "-l"], id="no-config-cli-command"),
        pytest.param(
            {"Entrypoint": [""], "Cmd": ["x"]},
            [],
            None,
            ["x"],
            id="entrypoint-of-one-empty-string-is-none",
        ),
        pytest.param(
            {}, [], "not json [", ["not json ["], id="entrypoint-flag-plain-string-kept-whole"
        ),
    ],
)
def test_command_line_follows_podman(image, command, entrypoint, expected) -> None:
    assert command_line(image, command, entrypoint) == expected


def test_no_command_at_all_is_an_engine_error() -> None:
    with pytest.raises(SpecError, match="no command or entrypoint provided") as info:
        command_line({}, [], None)
    assert info.value.exit_code == 125


def test_malformed_image_cmd_is_reported() -> None:
    with pytest.raises(SpecError, match="Cmd is not a list of strings"):
        command_line({"Cmd": "sh -c true"}, [], None)


def test_parse_entrypoint_json_and_plain() -> None:
    assert parse_entrypoint('["a", "b c"]') == ["a", "b c"]
    assert parse_entrypoint("/bin/sh -c") == ["/bin/sh -c"]
    assert parse_entrypoint("") == []
    assert parse_entrypoint("[1, 2]") == ["[1, 2]"]


def test_env_default_path_only_when_the_image_sets_none() -> None:
    env = merge_env(None, {}, hostname="h", terminal=False)
    assert env == [f"PATH={DEFAULT_PATH}", "HOSTNAME=h"]
    env = merge_env(["PATH=/opt/bin", "A=1"], {"A": "2", "B": "3"}, hostname="h", terminal=True)
    assert env == ["TERM=xterm", "HOSTNAME=h", "PATH=/opt/bin", "A=2", "B=3"]


def test_env_items_copy_host_values_and_prefix_globs() -> None:
    host = {"HOME": "/home/u", "LC_ALL": "C", "LC_TIME": "x", "EMPTY": ""}
    assert parse_env_items(["A=1", "B=", "HOME", "MISSING", "LC_*", "EMPTY"], host) == {
        "A": "1",
        "B": "",
        "HOME": "/home/u",
        "LC_ALL": "C",
        "LC_TIME": "x",
        "EMPTY": "",
    }


def test_env_item_without_a_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid environment variable '=x'"):
        parse_env_items(["=x"], {})


def test_env_file_lines_comments_and_no_quote_processing() -> None:
    text = '# comment\n\n   LEADING=trimmed\nQUOTED="kept"\nFROM_HOST\nA=b=c\n'
    assert parse_env_file(text, {"FROM_HOST": "h"}, source="f") == {
        "LEADING": "trimmed",
        "QUOTED": '"kept"',
        "FROM_HOST": "h",
        "A": "b=c",
    }


def test_home_env_is_added_unless_set() -> None:
    assert home_env(["A=1"], "/root") == ["A=1", "HOME=/root"]
    assert home_env(["HOME=/x"], "/root") == ["HOME=/x"]


def test_build_process_merges_image_and_flags() -> None:
    cfg = {
        "config": {
            "Cmd": ["sh"],
            "Env": ["FOO=image"],
            "WorkingDir": "/srv",
            "User": "www",
            "StopSignal": "SIGQUIT",
        }
    }
    p = build_process(cfg, env={"FOO": "cli"}, hostname="abc", terminal=False)
    assert p.args == ["sh"]
    assert p.cwd == "/srv"
    assert p.user == "www"
    assert p.stop_signal == "SIGQUIT"
    assert "FOO=cli" in p.env
    q = build_process(cfg, user="0", workdir="/tmp", hostname="abc")
    assert (q.user, q.cwd) == ("0", "/tmp")
    r = build_process(None, command=["true"], hostname="abc")
    assert (r.args, r.cwd, r.user, r.stop_signal) == (["true"], "/", "", "SIGTERM")


def test_relative_workdir_is_refused() -> None:
    with pytest.raises(UsageError, match="absolute"):
        build_process(None, command=["true"], workdir="srv", hostname="h")


PASSWD = """\
root:x:0:0:root:/root:/bin/sh
www:x:101:101:www:/var/www:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
# a comment
broken line
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """\
root:x:0:
wheel:x:10:app
staff:x:50:app,www
www:x:101:
app:x:1000:
"""


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("", ExecUser(0, 0, [], "/root"), id="default-is-root-from-passwd"),
        pytest.param(
            "app", ExecUser(1000, 1000, [10, 50], "/home/app"), id="name-with-supplementary-groups"
        ),
        pytest.param("1000", ExecUser(1000, 1000, [10, 50], "/home/app"), id="uid-found-in-passwd"),
        pytest.param("4242", ExecUser(4242, 0, [], "/"), id="unknown-uid-runs-with-gid-0"),
        pytest.param(
            "app:staff",
            ExecUser(1000, 50, [], "/home/app"),
            id="explicit-group-name-drops-supplementary",
        ),
        pytest.param(
            "www:77", ExecUser(101, 77, [], "/var/www"), id="numeric-group-need-not-exist"
        ),
        pytest.param("65534", ExecUser(65534, 65534, [], "/nonexistent"), id="nobody"),
    ],
)
def test_resolve_user_like_runc(spec: str, expected: ExecUser) -> None:
    assert resolve_user(spec, PASSWD, GROUP) == expected


def test_unknown_names_are_errors_naming_the_file() -> None:
    with pytest.raises(
        UserLookupError, match="unable to find user ghost: no matching entries in passwd file"
    ):
        resolve_user("ghost", PASSWD, GROUP)
    with pytest.raises(
        UserLookupError, match="unable to find group ghosts: no matching entries in group file"
    ):
        resolve_user("app:ghosts", PASSWD, GROUP)


def test_without_passwd_or_group_files() -> None:
    assert resolve_user("", None, None) == ExecUser(0, 0, [], "/")
    assert resolve_user("7:8", None, None) == ExecUser(7, 8, [], "/")
    with pytest.raises(UserLookupError):
        resolve_user("app", None, None)


def test_volume_forms(tmp_path: Path) -> None:
    assert parse_volume(f"{tmp_path}:/data") == Volume(str(tmp_path), "/data", False)
    assert parse_volume(f"{tmp_path}:/data/:ro") == Volume(str(tmp_path), "/data", True)
    assert parse_volume(f"{tmp_path}:/d:rw,z") == Volume(str(tmp_path), "/d", False)
    (tmp_path / "sub").mkdir()
    assert parse_volume("./sub:/d", cwd=str(tmp_path)) == Volume(str(tmp_path / "sub"), "/d", False)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("named:/data", "named volumes are not supported", id="named-volume"),
        pytest.param("/no/such/dir:/data", "does not exist", id="missing-host-path"),
        pytest.param("/tmp:data", "must be absolute", id="relative-container-path"),
        pytest.param("/tmp:/d:bogus", "unknown option 'bogus'", id="unknown-option"),
        pytest.param("/tmp:/d:ro,rw", "both ro and rw", id="ro-and-rw"),
        pytest.param("/tmp", "expected HOSTDIR:DIR", id="no-target"),
    ],
)
def test_bad_volumes_are_usage_errors(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_volume(spec)
