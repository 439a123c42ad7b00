"""The run command line: one option table, two parsers that cannot drift apart, help that
teaches, and a start-up that never imports typer or rich."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rootless import entry
from rootless.engine import runcli
from rootless.engine.containers import RunOptions
from rootless.errors import UsageError

SAMPLES = [
    ["img"],
    ["--rm", "img", "sh", "-c", "exit 7"],
    ["-it", "--rm", "img", "sh"],
    ["-dit", "--name", "web", "img"],
    ["-d", "--name=web", "-p", "8080:80", "-p127.0.0.1:9090:90", "img", "httpd", "-f"],
    ["-e", "A=1", "-eB=2", "--env", "C=3", "--env=D", "--env-file", "f1", "--env-file=f2", "img"],
    ["-u", "app:staff", "-w", "/srv", "--workdir=/tmp", "img", "id"],
    ["-v", "/a:/b:ro", "--volume=/c:/d", "--network", "none", "--net=host", "img"],
    ["--hostname", "box", "--entrypoint", '["/bin/sh","-c"]', "img", "echo hi"],
    ["--rootfs", "/some/dir:O", "ls", "-l", "--rm"],  # options after IMAGE belong to CMD
    ["--rm", "--", "img", "--not-an-option"],
    ["--entrypoint=", "img"],
]


def _typer_parse(args: list[str]) -> RunOptions:
    import typer

    from rootless.engine import cli

    group = typer.main.get_command(cli.app)
    command = group.commands["run"]  # type: ignore[attr-defined]
    ctx = command.make_context("run", list(args))
    return RunOptions(**ctx.params)


@pytest.mark.parametrize("args", SAMPLES, ids=" ".join)
def test_fast_parser_and_typer_agree(args: list[str]) -> None:
    assert runcli.parse_run_args(list(args)) == _typer_parse(args)


def test_every_table_option_is_a_typer_option_with_the_same_spellings() -> None:
    import typer

    from rootless.engine import cli

    command = typer.main.get_command(cli.app).commands["run"]  # type: ignore[attr-defined]
    typer_opts = {
        p.name: (
            sorted(p.opts),
            bool(getattr(p, "is_flag", False)),
            bool(getattr(p, "multiple", False)),
        )
        for p in command.params
        if p.param_type_name == "option" and p.name != "help"
    }
    table = {
        o.dest: (sorted(o.names), o.kind == "flag", o.kind == "multi") for o in runcli.RUN_OPTIONS
    }
    assert typer_opts == table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], "Missing argument 'IMAGE'", id="no-image"),
        pytest.param(["--bogus", "img"], "No such option: --bogus", id="unknown-long"),
        pytest.param(["-z", "img"], "No such option: -z", id="unknown-short"),
        pytest.param(["--name"], "requires an argument", id="missing-value"),
        pytest.param(["--rm=yes", "img"], "does not take a value", id="flag-with-value"),
    ],
)
def test_fast_parser_usage_errors(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        runcli.parse_run_args(args)


def test_run_is_on_the_fast_path() -> None:
    assert entry.FAST_PATHS[("engine", "run")] == "rootless.engine.runcli:fast_run"


def test_run_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["engine", "run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Examples:" in out
    assert "rootless engine run --rm busybox echo hello" in out
    for opt in runcli.RUN_OPTIONS:
        for name in opt.names:
            assert name in out


@pytest.mark.parametrize("command", ["ps", "stop", "rm", "logs"])
def test_other_commands_have_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert entry.main(["engine", command, "--help"]) == 0
    assert "Examples:" in capsys.readouterr().out


def test_the_run_fast_path_imports_neither_typer_nor_rich(tmp_path) -> None:
    code = (
        "import sys\n"
        "from rootless import entry\n"
        "code = entry.main(['engine', 'run', '--rm', '--rootfs', '/nonexistent-dir', 'true'])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich', 'click')))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"ROOTLESS_STORE": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,  # not the checkout: its rootless/ folder would shadow the installed package
        check=False,
    )
    assert res.stdout.strip() == "2 []", res.stderr
    assert "--rootfs /nonexistent-dir: not a directory" in res.stderr
