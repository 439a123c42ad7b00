"""The ``rootless`` command: a thin typer root that loads each sub-command on first use.

Sub-commands live with their library (``doctor/cli.py``, ``migrate/cli.py``, ...). They are
listed in :data:`SUBCOMMANDS`; only the one named on the command line is imported, so
``rootless engine run`` does not pay for the doctor's or the migrator's imports.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from rootless import __version__
from rootless.errors import RootlessError
from rootless.exitcodes import ExitCode

#: name -> (module, attribute, one-line help). The attribute is either a ``typer.Typer``
#: (a command group such as ``engine``) or a function (a single command such as ``doctor``).
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {}

_HELP = (
    "Move from Docker's root daemon to rootless Podman.\n\n"
    "Start with `rootless doctor`: it checks this host (user namespaces, /etc/subuid, "
    "newuidmap, storage, networking, leftovers of Docker) and prints the fixes."
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"rootless {__version__}")
        raise typer.Exit(ExitCode.OK)


def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Move from Docker's root daemon to rootless Podman."""


def build_app(only: str | None = None) -> typer.Typer:
    """The root app with every sub-command, or with just ``only`` (imports only that one)."""
    app = typer.Typer(
        name="rootless",
        help=_HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for name, (module_name, attr, short_help) in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        target: typer.Typer | Callable[..., Any] = getattr(
            importlib.import_module(module_name), attr
        )
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name, help=short_help)
        else:
            app.command(name=name, short_help=short_help)(target)
    return app


def _requested_subcommand(argv: list[str]) -> str | None:
    """The sub-command named on the command line, if it is one we know (root options take no values)."""
    if "_ROOTLESS_COMPLETE" in os.environ:
        return None
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in SUBCOMMANDS else None


def _crash_log_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local/state"
    )
    return Path(state) / "rootless" / "crash.log"


def _report_crash(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    where = "stderr"
    try:
        path = _crash_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- rootless {__version__} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
            fh.write(f"argv: {sys.argv!r}\n{text}\n")
        where = str(path)
    except OSError:
        sys.stderr.write(text)
    sys.stderr.write(
        f"rootless: internal error: {type(exc).__name__}: {exc}\n"
        f"This is a bug in rootless. The traceback is in {where}; please attach it to a report.\n"
    )
    if os.environ.get("ROOTLESS_DEBUG") and where != "stderr":
        sys.stderr.write(text)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script. Returns the process exit code (see ExitCode)."""
    args = sys.argv[1:] if argv is None else list(argv)
    command = typer.main.get_command(build_app(_requested_subcommand(args)))
    try:
        result: Any = command.main(args=args, prog_name="rootless", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:  # click's usage errors and friends
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"rootless: error: {exc.format_message()}\n")
        return int(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("\nrootless: interrupted\n")
        return ExitCode.INTERRUPTED
    except RootlessError as exc:
        sys.stderr.write(f"rootless: error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        if exc.check_id:
            sys.stderr.write(f"explained by: rootless doctor {exc.check_id}\n")
        return int(exc.exit_code)
    except BrokenPipeError:
        # stdout went away (e.g. `| head`); nothing useful left to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.FINDINGS
    except Exception as exc:  # the one place where any bug becomes exit code 3
        _report_crash(exc)
        return ExitCode.INTERNAL
    return int(result) if isinstance(result, int) else ExitCode.OK
