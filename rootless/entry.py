"""Console-script entry point: the exit-code policy, and fast paths that skip typer.

Every invocation goes through :func:`main`, which turns exceptions into exit codes in one
place (see :mod:`rootless.exitcodes`). Commands on a hot path (``rootless engine run``)
may register in :data:`FAST_PATHS` a function that parses its own arguments, so the
process never imports typer/rich (~90 ms); everything else goes to the typer app.
"""

from __future__ import annotations

import importlib
import os
import sys

from rootless import __version__
from rootless.errors import RootlessError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

#: leading words -> "module:function"; the function takes the remaining argv, returns a code.
#: A fast path must still show help through typer: ``--help`` anywhere disables it.
FAST_PATHS: dict[tuple[str, ...], str] = {
    ("doctor",): "rootless.doctor.fast:main",
    ("engine", "pull"): "rootless.engine.pullcmd:fast_pull",
    ("engine", "run"): "rootless.engine.runcli:fast_run",
    ("verify",): "rootless.engine.verifycmd:fast_verify",
}


def _fast_path(args: list[str]) -> tuple[Callable[[list[str]], int], list[str]] | None:
    if "_ROOTLESS_COMPLETE" in os.environ or "--help" in args or "-h" in args:
        return None
    for words, target in FAST_PATHS.items():
        if tuple(args[: len(words)]) == words:
            module_name, func = target.split(":")
            fn: Callable[[list[str]], int] = getattr(importlib.import_module(module_name), func)
            return fn, args[len(words) :]
    return None


def _crash_log_path() -> Path:
    from pathlib import Path  # noqa: PLC0415 - only after a crash (keeps fast paths lean)

    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local/state"
    )
    return Path(state) / "rootless" / "crash.log"


def report_crash(exc: BaseException) -> None:
    """Write the traceback to the crash log and a short note to stderr."""
    import time  # noqa: PLC0415 - only after a crash (keeps fast paths lean)
    import traceback  # noqa: PLC0415

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


def guarded(fn: Callable[[list[str]], int], args: list[str]) -> int:
    """Run ``fn(args)`` and map every outcome to an exit code."""
    try:
        return int(fn(args))
    except KeyboardInterrupt:
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
        report_crash(exc)
        return ExitCode.INTERNAL


def _flush_and_exit(code: int) -> None:
    """``os._exit`` after flushing stdout and stderr: a fast path's process ends as soon as
    its work is done (nothing is registered with atexit on these paths)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout:
                code = code or ExitCode.FINDINGS  # like a BrokenPipeError
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rootless`` console script; returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    fast = _fast_path(args)
    if fast is not None:
        fn, rest = fast
        code = guarded(fn, rest)
        if argv is None:  # the console script: skip the interpreter's teardown (~15 ms)
            _flush_and_exit(code)
        return code
    from rootless.cli import run_typer  # noqa: PLC0415 - typer only when needed

    return guarded(run_typer, args)
