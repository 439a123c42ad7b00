"""The root command: version, help, unknown commands, and the exit-code policy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rootless import __version__, cli, entry
from rootless.errors import RootlessError
from rootless.exitcodes import ExitCode


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--version"]) == ExitCode.OK
    assert capsys.readouterr().out == f"rootless {__version__}\n"


def test_help_lists_registered_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--help"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "rootless doctor" in out
    for name in cli.SUBCOMMANDS:
        assert name in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["no-such-command"]) == ExitCode.USAGE
    assert "No such command" in capsys.readouterr().err


def test_every_registered_subcommand_imports_and_has_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in cli.SUBCOMMANDS:
        assert entry.main([name, "--help"]) == ExitCode.OK, name
        assert capsys.readouterr().out.strip(), name


def test_only_the_requested_subcommand_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_ROOTLESS_COMPLETE", raising=False)
    for name in cli.SUBCOMMANDS:
        assert cli._requested_subcommand(["--no-color", name, "x"]) == name
    assert cli._requested_subcommand(["--help"]) is None
    assert cli._requested_subcommand(["bogus"]) is None


def _app_with(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    import types

    mod = types.ModuleType("rootless_test_boom")

    def boom() -> None:
        """Raise the error under test."""
        raise error

    mod.boom = boom  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rootless_test_boom", mod)
    monkeypatch.setitem(cli.SUBCOMMANDS, "boom", ("rootless_test_boom", "boom", "test"))


def test_rootless_error_prints_message_hint_and_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _app_with(monkeypatch, RootlessError("it broke", hint="do this", check_id="subid-ranges"))
    assert entry.main(["boom"]) == ExitCode.FINDINGS
    err = capsys.readouterr().err
    assert "rootless: error: it broke" in err
    assert "hint: do this" in err
    assert "rootless doctor subid-ranges" in err


def test_a_bug_becomes_exit_3_with_a_crash_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    _app_with(monkeypatch, ZeroDivisionError("oops"))
    assert entry.main(["boom"]) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: oops" in err
    log = (tmp_path / "rootless" / "crash.log").read_text()
    assert "ZeroDivisionError" in log
    assert "Traceback" in log


def test_ctrl_c_is_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _app_with(monkeypatch, KeyboardInterrupt())
    assert entry.main(["boom"]) == ExitCode.INTERRUPTED


def test_fast_path_skips_typer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import types

    calls: list[list[str]] = []
    mod = types.ModuleType("rootless_test_fast")

    def fast(args: list[str]) -> int:
        calls.append(args)
        return 7

    mod.fast = fast  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rootless_test_fast", mod)
    monkeypatch.setitem(entry.FAST_PATHS, ("zap", "now"), "rootless_test_fast:fast")
    assert entry.main(["zap", "now", "-x", "y"]) == 7
    assert calls == [["-x", "y"]]
    # --help always goes through typer (which does not know `zap`)
    assert entry.main(["zap", "now", "--help"]) == ExitCode.USAGE


def test_console_script_runs_as_a_process() -> None:
    exe = Path(sys.executable).parent / "rootless"
    res = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert res.returncode == 0
    assert res.stdout.strip() == f"rootless {__version__}"
