"""The ``rootless`` command: a thin typer root that loads each sub-command on first use.

Sub-commands live with their library (``doctor/cli.py``, ``migrate/cli.py``, ...). They are
listed in :data:`SUBCOMMANDS`; only the one named on the command line is imported, so
``rootless engine run`` does not pay for the doctor's or the migrator's imports.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

import typer

from rootless import __version__
from rootless.exitcodes import ExitCode

#: name -> (module, attribute, one-line help). The attribute is either a ``typer.Typer``
#: (a command group such as ``engine``) or a function (a single command such as ``doctor``).
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "doctor": (
        "rootless.doctor.cli",
        "doctor",
        "Check this host for rootless Podman and write the fixes.",
    ),
    "migrate": (
        "rootless.migrate.cli",
        "migrate",
        "Rewrite docker scripts, Makefiles, cron and aliases for rootless podman.",
    ),
    "engine": ("rootless.engine.cli", "app", "Pull, list and run images rootless, without podman."),
    "verify": (
        "rootless.engine.verifycli",
        "verify",
        "Prove rootless containers work here: pull and run a sample image, step by step.",
    ),
}

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


def run_typer(args: list[str]) -> int:
    """Parse ``args`` with the typer app and run the command; typer's outcomes become codes.

    Other exceptions propagate to :func:`rootless.entry.guarded`, which owns the policy.
    """
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
    except typer.Abort as exc:
        raise KeyboardInterrupt from exc
    return int(result) if isinstance(result, int) else ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    """Same as :func:`rootless.entry.main` (kept so ``rootless.cli:main`` works too)."""
    from rootless.entry import main as entry_main  # noqa: PLC0415

    return entry_main(argv)
