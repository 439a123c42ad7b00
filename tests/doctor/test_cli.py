"""`rootless doctor` as a command: exit codes, JSON on stdout only, the envelope contract,
--list, subsets, --fix-script, --explain, NO_COLOR, and fast path == typer path."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from doctor_helpers import HOSTS

from rootless import cli, entry
from rootless.doctor import command, fast
from rootless.doctor.snapshot import SnapshotHost
from rootless.exitcodes import ExitCode

ENVELOPE_KEYS = {
    "rootless_doctor_version",
    "rootless_version",
    "status",
    "exit_code",
    "host",
    "options",
    "counts",
    "findings",
}
FINDING_KEYS = {
    "id",
    "title",
    "status",
    "summary",
    "details",
    "why",
    "fix",
    "links",
    "duration_ms",
    "data",
}
HOST_KEYS = {"distro", "kernel", "podman", "podman_path", "cgroup", "systemd", "user", "uid"}
DISTRO_KEYS = {"id", "name", "version", "codename", "like", "family"}
FIX_KEYS = {"steps", "note"}
STEP_KEYS = {"template", "summary", "part", "takes_effect", "context"}
OPTION_KEYS = {"checks", "probes", "user", "strict", "explain", "ports"}


@pytest.fixture
def use_host(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def select(name: str) -> None:
        monkeypatch.setattr(command, "_host", lambda user: SnapshotHost(HOSTS / name))
        monkeypatch.setattr(fast, "EARLY_START", False)

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return select


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = entry.main(["doctor", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    ("host", "args", "code"),
    [
        pytest.param("rhel9-ok", [], ExitCode.OK, id="no problems: 0 (a warning is allowed)"),
        pytest.param("rhel9-ok", ["--strict"], ExitCode.FINDINGS, id="--strict: warnings count"),
        pytest.param("centos7-userns-off", [], ExitCode.FINDINGS, id="failures: 1"),
        pytest.param("rhel9-ok", ["no-such-check"], ExitCode.USAGE, id="unknown check id: 2"),
        pytest.param("rhel9-ok", ["--bogus"], ExitCode.USAGE, id="unknown option: 2"),
        pytest.param(
            "rhel9-ok",
            ["--json", "--fix-script", "-"],
            ExitCode.USAGE,
            id="two things on stdout: 2",
        ),
    ],
)
def test_exit_codes(
    use_host, capsys: pytest.CaptureFixture[str], host: str, args: list[str], code: int
) -> None:  # type: ignore[no-untyped-def]
    use_host(host)
    assert doctor(capsys, *args)[0] == code


def test_internal_error_is_exit_3(
    use_host, capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    use_host("rhel9-ok")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def broken(*a: object, **k: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(command, "diagnose", broken)
    code, _, err = doctor(capsys)
    assert code == ExitCode.INTERNAL
    assert "internal error: RuntimeError: bug" in err


def test_user_option_needs_root_for_someone_else(capsys, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    monkeypatch.setattr(os, "getuid", lambda: 4242)
    code, _, err = doctor(capsys, "--user", "root")
    assert code == ExitCode.USAGE
    assert "only root can check another user" in err


def test_json_only_on_stdout_and_the_envelope_contract(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("centos7-userns-off")
    code, out, err = doctor(capsys, "--json")
    assert err == ""
    doc = json.loads(out)
    assert set(doc) == ENVELOPE_KEYS
    assert doc["rootless_doctor_version"] == 1
    assert doc["exit_code"] == code == 1
    assert doc["status"] == "fail"
    assert set(doc["host"]) == HOST_KEYS
    assert set(doc["host"]["distro"]) == DISTRO_KEYS
    assert set(doc["options"]) == OPTION_KEYS
    assert set(doc["counts"]) == {"ok", "warn", "fail", "skip", "error"}
    assert sum(doc["counts"].values()) == len(doc["findings"])
    for finding in doc["findings"]:
        assert set(finding) == FINDING_KEYS
        if finding["fix"]:
            assert set(finding["fix"]) == FIX_KEYS
            for step in finding["fix"]["steps"]:
                assert set(step) == STEP_KEYS
                assert step["part"] in ("root", "user")
                assert step["takes_effect"] in ("now", "re-login", "reboot")


def test_list(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = doctor(capsys, "--list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("not-root ")
    assert any(
        re.match(
            r"userns-mapping\s+User namespace with the full sub-id range \(probe\) \[probe, fix\]",
            ln,
        )
        for ln in lines
    )
    code, out, _ = doctor(capsys, "--list", "--json")
    listed = json.loads(out)
    assert {"id", "title", "why", "probe", "fix", "requires"} == set(listed[0])
    assert len(listed) == len(lines)


def test_a_subset_runs_with_its_dependencies(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("arch-empty-subuid")
    code, out, _ = doctor(capsys, "--json", "subid-ranges")
    doc = json.loads(out)
    assert [f["id"] for f in doc["findings"]] == ["not-root", "subid-ranges"]
    assert doc["options"]["checks"] == ["subid-ranges"]
    assert code == 1


def test_fix_script_to_stdout_keeps_the_report_on_stderr(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("arch-empty-subuid")
    code, out, err = doctor(capsys, "--fix-script", "-")
    assert out.startswith("#!/bin/sh\n# rootless-doctor-fix-script v1")
    assert "set_subids /etc/subuid alice 1000 100000 65536" in out
    assert "[✗] Sub-id ranges" in err
    assert code == 1


def test_fix_script_to_a_file(use_host, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    use_host("centos7-userns-off")
    target = tmp_path / "fix.sh"
    _code, out, err = doctor(capsys, "--fix-script", str(target))
    assert target.read_text().startswith("#!/bin/sh")
    assert target.stat().st_mode & 0o777 == 0o755
    assert f"wrote {target}:" in err
    assert "[✗] User namespaces" in out


def test_fix_script_into_a_directory_is_a_usage_error(use_host, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    use_host("rhel9-ok")
    code, _, err = doctor(capsys, "--fix-script", str(tmp_path))
    assert code == ExitCode.USAGE
    assert "is a directory" in err


def test_explain_runs_the_checks_that_explain_the_error(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("centos7-userns-off")
    pasted = (
        "ERRO[0000] cannot clone: Invalid argument\n"
        "user namespaces are not enabled in /proc/sys/user/max_user_namespaces\n"
        "Error: could not get runtime: cannot re-exec process\n"
    )
    code, out, _ = doctor(capsys, "--explain", pasted)
    assert code == 1
    assert out.startswith("That error means:\n")
    assert "checked by: user-namespaces" in out
    assert "[✗] User namespaces: user.max_user_namespaces is 0" in out
    assert "→ fix (root, takes effect now): set user.max_user_namespaces = 28633" in out
    assert "Short image names" not in out  # only the relevant checks run


def test_explain_in_json(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("ubuntu2404-apparmor-local-podman")
    _, out, _ = doctor(capsys, "--json", "--explain", "Error: cannot clone: Permission denied")
    doc = json.loads(out)
    assert doc["options"]["explain"] == [
        {
            "fragment": "cannot clone: Permission denied",
            "checks": ["apparmor-userns"],
            "meaning": "AppArmor (Ubuntu 23.10+) denied the user namespace: no profile allows podman at its real path",
        }
    ]
    assert "apparmor-userns" in [f["id"] for f in doc["findings"]]


def test_explain_without_a_known_error_runs_everything(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("rhel9-ok")
    _code, out, _ = doctor(capsys, "--explain", "it does not work")
    assert out.startswith("No known podman, newuidmap, crun or rootlesskit error found")
    assert "[!] Short image names" in out


def test_verbose_shows_why_and_timings(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("rhel9-ok")
    _, out, _ = doctor(capsys, "-v", "subid-ranges")
    assert "why: Podman maps container uids 1..65536" in out
    assert re.search(r"\[\d+ ms\]", out)
    assert "see: https://rootlesscontaine.rs/getting-started/common/subuid/" in out


@pytest.mark.parametrize(
    ("env", "colored"),
    [
        pytest.param({"FORCE_COLOR": "1"}, True, id="forced colour"),
        pytest.param({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, id="NO_COLOR wins"),
        pytest.param({}, False, id="not a terminal"),
    ],
)
def test_no_color(capsys, monkeypatch: pytest.MonkeyPatch, env: dict, colored: bool) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(command, "_host", lambda user: SnapshotHost(HOSTS / "centos7-userns-off"))
    monkeypatch.setattr(fast, "EARLY_START", False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    _, out, _ = doctor(capsys, "user-namespaces")
    assert ("\x1b[" in out) is colored


def _without_timings(text: str) -> str:
    doc = json.loads(text)
    for f in doc["findings"]:
        f.pop("duration_ms")
    return json.dumps(doc, sort_keys=True)


def test_fast_path_and_typer_give_the_same_result(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("debian12-no-uidmap")
    args = ["doctor", "--json", "--no-probe", "--strict", "uidmap-helpers", "subid-ranges"]
    fast = entry.main(args)
    fast_out = capsys.readouterr().out
    slow = cli.run_typer(args)
    slow_out = capsys.readouterr().out
    assert fast == slow == 1
    assert _without_timings(fast_out) == _without_timings(slow_out)


def test_fast_path_accepts_exactly_the_typer_options() -> None:
    import typer

    from rootless.doctor.cli import doctor as typer_doctor

    app = typer.Typer(add_completion=False)
    app.command()(typer_doctor)
    click_cmd = typer.main.get_command(app)
    typer_flags = {o for p in click_cmd.params for o in p.opts if o.startswith("-")}
    fast_flags = {flag for flags, _, _ in command._Parser.OPTIONS for flag in flags}
    assert fast_flags == typer_flags - {"--help"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["a", "--json", "b"], {"ids": ("a", "b"), "json_output": True}, id="options between ids"
        ),
        pytest.param(["--fix-script", "-"], {"fix_script": "-"}, id="dash as a value"),
        pytest.param(
            ["--fix-script=out.sh", "-v"],
            {"fix_script": "out.sh", "verbose": True},
            id="--opt=value",
        ),
        pytest.param(
            ["--explain", "--json"],
            {"explain_text": "--json"},
            id="a value that looks like an option",
        ),
        pytest.param(["--", "--json"], {"ids": ("--json",)}, id="everything after -- is an id"),
        pytest.param(
            ["--no-probe", "--user", "bob"],
            {"probes": False, "user": "bob"},
            id="no-probe and user",
        ),
        pytest.param(
            ["--port", "8080", "--port=127.0.0.1:8443"],
            {"ports": ("8080", "127.0.0.1:8443")},
            id="port is repeatable",
        ),
    ],
)
def test_fast_path_parser(args: list[str], expected: dict) -> None:
    opts = command._Parser.parse(args)
    for key, value in expected.items():
        assert getattr(opts, key) == value


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--bogus"], "no such option: --bogus", id="unknown option"),
        pytest.param(["--user"], "option --user requires an argument", id="missing value"),
        pytest.param(["--json=yes"], "option --json does not take a value", id="value for a flag"),
    ],
)
def test_fast_path_parser_errors(args: list[str], message: str) -> None:
    from rootless.errors import UsageError

    with pytest.raises(UsageError, match=message):
        command._Parser.parse(args)


def test_port_is_checked_by_published_ports_and_shown_in_the_json(use_host, capsys) -> None:  # type: ignore[no-untyped-def]
    use_host("rhel9-ok")
    code, out, _ = doctor(capsys, "--json", "published-ports", "--port", "8080")
    assert code == ExitCode.OK
    doc = json.loads(out)
    assert doc["options"]["ports"] == ["8080"]
    (finding,) = doc["findings"]
    assert finding["id"] == "published-ports"
    assert finding["summary"] == "0.0.0.0:8080 is free"


@pytest.mark.parametrize("port", ["http", "[::1]", "0"], ids=["a name", "no port", "port 0"])
def test_an_invalid_port_is_a_usage_error(use_host, capsys, port: str) -> None:  # type: ignore[no-untyped-def]
    use_host("rhel9-ok")
    code, out, err = doctor(capsys, "--port", port)
    assert code == ExitCode.USAGE
    assert out == ""
    assert "--port: invalid port" in err


def test_doctor_is_registered_and_on_the_fast_path() -> None:
    assert cli.SUBCOMMANDS["doctor"][:2] == ("rootless.doctor.cli", "doctor")
    assert entry.FAST_PATHS[("doctor",)] == "rootless.doctor.fast:main"


def test_fast_path_knows_which_checks_read_the_probe() -> None:
    from rootless.doctor.facts import namespace_probe
    from rootless.doctor.fast import PROBE_CHECKS
    from rootless.doctor.registry import all_checks

    assert {s.id for s in all_checks() if namespace_probe in s.prefetch} == PROBE_CHECKS


def test_help_goes_through_typer_and_teaches(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = doctor(capsys, "--help")
    assert code == 0
    assert "rootless doctor --explain" in out
    assert "--fix-script" in out
