"""``rootless engine run|ps|stop|rm|logs``: the command line over :mod:`rootless.engine.containers`.

``run`` has two parsers built from **one** option table, :data:`RUN_OPTIONS`:

* :func:`fast_run`, registered in ``rootless.entry.FAST_PATHS`` for ``engine run``: a
  small getopt-style parser that imports neither typer nor rich, so starting a container
  costs what the container costs;
* the typer command made by :func:`register` (``--help``, shell completion, and any
  command line that contains ``-h``/``--help``), whose parameters are generated from the
  same table. ``tests/engine/test_runcli.py`` proves both parse every option identically.

Both parsers stop at the first positional argument (IMAGE): what follows is the command,
``rootless engine run IMAGE ls -l`` gives ``-l`` to ``ls``, as podman does.
"""

from __future__ import annotations

import sys

from rootless.engine.containers import RunOptions
from rootless.errors import RootlessError, UsageError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from typing import Any

    import typer


class Option:
    """One ``run`` option: its spellings, where it lands in :class:`RunOptions`, its kind
    (``flag``; ``value``: last one wins; ``multi``: repeatable) and its help."""

    __slots__ = ("dest", "help", "kind", "metavar", "names")

    def __init__(
        self, names: tuple[str, ...], dest: str, kind: str, help: str, metavar: str = ""
    ) -> None:
        self.names = names
        self.dest = dest
        self.kind = kind
        self.help = help
        self.metavar = metavar


RUN_OPTIONS: tuple[Option, ...] = (
    Option(("--rm",), "rm", "flag", "Remove the container and its writable layer when it exits."),
    Option(
        ("-d", "--detach"),
        "detach",
        "flag",
        "Run in the background under a small supervisor that keeps the container and its "
        "port relays alive; print the container ID.",
    ),
    Option(("--name",), "name", "value", "Name the container (unique).", "NAME"),
    Option(
        ("-p", "--publish"),
        "publish",
        "multi",
        "Publish a container TCP port on the host: CONTAINER, HOST:CONTAINER, "
        "IP:HOST:CONTAINER or IP::CONTAINER (ranges allowed). Works without a tun device.",
        "[IP:]HOST:CONTAINER[/tcp]",
    ),
    Option(
        ("-e", "--env"),
        "env",
        "multi",
        "Set an environment variable; KEY alone copies the host's value, KEY* all host "
        "variables starting with KEY.",
        "KEY=VALUE",
    ),
    Option(
        ("--env-file",),
        "env_file",
        "multi",
        "Read environment variables from a file (KEY=VALUE lines, # comments).",
        "FILE",
    ),
    Option(
        ("-u", "--user"),
        "user",
        "value",
        "Run as this user (name or uid) and group, resolved in the container's /etc/passwd "
        "and /etc/group.",
        "USER[:GROUP]",
    ),
    Option(("-w", "--workdir"), "workdir", "value", "Working directory in the container.", "DIR"),
    Option(
        ("-v", "--volume"),
        "volume",
        "multi",
        "Bind-mount a host directory (or file); :ro makes it read-only.",
        "HOSTDIR:DIR[:ro]",
    ),
    Option(
        ("--network", "--net"),
        "network",
        "value",
        "none, host, pasta or slirp4netns. Default: a private network namespace with "
        "loopback only (published ports still work).",
        "MODE",
    ),
    Option(
        ("--hostname",), "hostname", "value", "Container host name (default: short ID).", "NAME"
    ),
    Option(
        ("--entrypoint",),
        "entrypoint",
        "value",
        "Override the image ENTRYPOINT: a command, or a JSON array; drops the image CMD.",
        "CMD",
    ),
    Option(("-i", "--interactive"), "interactive", "flag", "Keep stdin open and attached."),
    Option(("-t", "--tty"), "tty", "flag", "Allocate a pseudo-terminal."),
    Option(
        ("--rootfs",),
        "rootfs",
        "flag",
        "IMAGE is an exploded root filesystem directory, used in place (podman's --rootfs); "
        "DIR:O puts an overlay on top so DIR stays untouched.",
    ),
)

RUN_HELP = """Run a command in a new container, rootless (podman run).

The container gets its own user (full /etc/subuid range), mount, pid, uts, ipc and
network namespaces, an overlay on the image, /proc, /dev, a read-only /sys and podman's
default capabilities. The exit code is the command's (125: the engine failed, 126: the
command cannot be run, 127: it was not found).

\b
Examples:
  rootless engine run --rm busybox echo hello
  rootless engine run --rm busybox sh -c 'exit 7'; echo $?       # 7
  rootless engine run -d --name web -p 127.0.0.1:8080:80 busybox httpd -f -p 80
  rootless engine run --rm -it -v "$PWD":/src:ro -w /src busybox sh
  rootless engine run --rm --rootfs ./rootfs:O /bin/sh -c 'id; hostname'
"""


def _tables() -> tuple[dict[str, Option], dict[str, Option]]:
    longs: dict[str, Option] = {}
    shorts: dict[str, Option] = {}
    for opt in RUN_OPTIONS:
        for name in opt.names:
            if name.startswith("--"):
                longs[name] = opt
            else:
                shorts[name[1:]] = opt
    return longs, shorts


def parse_run_args(args: list[str]) -> RunOptions:
    """The fast parser: same grammar as the generated typer command (click's)."""
    longs, shorts = _tables()
    values: dict[str, Any] = {}

    def put(opt: Option, value: str | None) -> None:
        if opt.kind == "flag":
            values[opt.dest] = True
        elif opt.kind == "multi":
            values.setdefault(opt.dest, []).append(value)
        else:
            values[opt.dest] = value

    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            opt = longs.get(name)
            if opt is None:
                raise UsageError(f"No such option: {name}")
            if opt.kind == "flag":
                if eq:
                    raise UsageError(f"Option '{name}' does not take a value.")
                put(opt, None)
            else:
                if not eq:
                    i += 1
                    if i >= len(args):
                        raise UsageError(f"Option '{name}' requires an argument.")
                    value = args[i]
                put(opt, value)
        elif arg.startswith("-") and arg != "-":
            j = 1
            while j < len(arg):
                opt = shorts.get(arg[j])
                if opt is None:
                    raise UsageError(f"No such option: -{arg[j]}")
                if opt.kind == "flag":
                    put(opt, None)
                    j += 1
                    continue
                value = arg[j + 1 :]
                if not value:
                    i += 1
                    if i >= len(args):
                        raise UsageError(f"Option '-{arg[j]}' requires an argument.")
                    value = args[i]
                put(opt, value)
                break
        else:
            break
        i += 1
    rest = args[i:]
    if not rest:
        raise UsageError("Missing argument 'IMAGE'.")
    return RunOptions(image=rest[0], command=rest[1:], **values)


def execute_run(opts: RunOptions) -> int:
    """Run with podman's exit codes: 125 for anything that stops the engine itself."""
    from rootless.engine import containers  # noqa: PLC0415

    try:
        return containers.run(opts)
    except UsageError:
        raise
    except RootlessError as exc:
        if exc.exit_code == ExitCode.FINDINGS:
            exc.exit_code = ExitCode.ENGINE
        raise


def fast_run(args: list[str]) -> int:
    """``rootless engine run`` without typer (``rootless.entry.FAST_PATHS``)."""
    return execute_run(parse_run_args(args))


# --------------------------------------------------------------------------------------
# typer


def _run_command() -> Any:
    import inspect  # noqa: PLC0415
    from typing import Optional  # noqa: PLC0415

    import typer  # noqa: PLC0415

    params = []
    annotations: dict[str, Any] = {}
    for opt in RUN_OPTIONS:
        if opt.kind == "flag":
            default: Any = typer.Option(False, *opt.names, help=opt.help, show_default=False)
            ann: Any = bool
        elif opt.kind == "value":
            default = typer.Option(
                None, *opt.names, help=opt.help, metavar=opt.metavar, show_default=False
            )
            ann = Optional[str]  # noqa: UP045 - a runtime annotation for typer
        else:
            default = typer.Option(
                None, *opt.names, help=opt.help, metavar=opt.metavar, show_default=False
            )
            ann = Optional[list[str]]  # noqa: UP045
        annotations[opt.dest] = ann
        params.append(
            inspect.Parameter(
                opt.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann
            )
        )
    positional = (
        (
            "image",
            str,
            typer.Argument(
                ...,
                metavar="IMAGE",
                help="An image from the store, or with --rootfs a directory.",
                show_default=False,
            ),
        ),
        (
            "command",
            Optional[list[str]],  # noqa: UP045
            typer.Argument(
                None,
                metavar="COMMAND",
                help="The command and its arguments (default: the image's).",
                show_default=False,
            ),
        ),
    )
    for name, ann, default in positional:
        annotations[name] = ann
        params.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
        )

    def run(**kwargs: Any) -> int:
        return execute_run(RunOptions(**kwargs))

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {**annotations, "return": int}
    run.__doc__ = RUN_HELP
    return run


def _ps(
    all_: bool = False,
    quiet: bool = False,
    no_trunc: bool = False,
    json_: bool = False,
    format_: str = "",
) -> int:
    """List containers (podman ps): running ones, or all with -a.

    \b
    Examples:
      rootless engine ps
      rootless engine ps -a --json
    """
    from rootless.engine import containers  # noqa: PLC0415

    refs = containers.list_containers()
    if not all_:
        refs = [r for r in refs if containers.is_running(r.state)]
    rows = containers.ps_rows(refs)
    if format_ not in ("", "table", "json"):
        raise UsageError(f"unsupported --format {format_!r}: use table or json")
    if json_ or format_ == "json":
        import json  # noqa: PLC0415

        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    elif quiet:
        sys.stdout.write("".join(r["id"][:12] + "\n" for r in rows))
    else:
        sys.stdout.write(containers.format_ps(rows, no_trunc=no_trunc))
    return ExitCode.OK


def _warn(text: str) -> None:
    sys.stderr.write(f"rootless: warning: {text}\n")


def _each(names: list[str], all_: bool, action: Any) -> int:
    from rootless.engine import containers  # noqa: PLC0415

    if all_:
        refs = containers.list_containers()
        names = [r.name for r in refs]
    elif not names:
        raise UsageError("give at least one container name or ID (or --all)")
    code = ExitCode.OK
    for name in names:
        try:
            ref = containers.find(name)
            action(ref)
        except RootlessError as exc:
            sys.stderr.write(f"rootless: error: {exc.message}\n")
            if exc.hint:
                sys.stderr.write(f"hint: {exc.hint}\n")
            code = (
                exc.exit_code if exc.exit_code == ExitCode.USAGE else ExitCode.FINDINGS
            )  # podman: 1 (or 2 for a running container without -f)
            continue
        sys.stdout.write(name + "\n")
    return int(code)


def register(app: typer.Typer) -> None:
    """Add run, ps, stop, rm and logs to the ``engine`` typer group."""
    import typer  # noqa: PLC0415

    app.command(
        "run",
        context_settings={"allow_interspersed_args": False},
        no_args_is_help=True,
    )(_run_command())

    @app.command("ps")
    def ps(
        all_: bool = typer.Option(False, "-a", "--all", help="Show all containers."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only the IDs."),
        no_trunc: bool = typer.Option(False, "--no-trunc", help="Do not shorten IDs or commands."),
        json_: bool = typer.Option(False, "--json", help="JSON on stdout."),
        format_: str = typer.Option("", "--format", help="table (default) or json."),
    ) -> int:
        return _ps(all_, quiet, no_trunc, json_, format_)

    ps.__doc__ = _ps.__doc__

    @app.command("stop")
    def stop(
        names: list[str] = typer.Argument(None, metavar="CONTAINER..."),  # noqa: B008
        time_: float = typer.Option(
            10, "-t", "--time", help="Seconds to wait before killing the container."
        ),
        all_: bool = typer.Option(False, "-a", "--all", help="Stop all running containers."),
    ) -> int:
        """Stop containers (podman stop): the stop signal (SIGTERM unless the image sets
        one) to PID 1, then SIGKILL after --time seconds. Waits until it has exited.

        \b
        Examples:
          rootless engine stop web
          rootless engine stop -t 0 web     # kill at once
        """
        from rootless.engine import containers  # noqa: PLC0415

        return _each(
            names or [],
            all_,
            lambda ref: containers.stop(ref, timeout=time_, warn=_warn),
        )

    @app.command("rm")
    def rm(
        names: list[str] = typer.Argument(None, metavar="CONTAINER..."),  # noqa: B008
        force: bool = typer.Option(False, "-f", "--force", help="Stop a running container first."),
        time_: float = typer.Option(
            10, "-t", "--time", help="With -f: seconds to wait before killing it."
        ),
        all_: bool = typer.Option(False, "-a", "--all", help="Remove all containers."),
    ) -> int:
        """Remove containers (podman rm) and their files, sub-id owned ones included
        (removed from inside the user namespace).

        \b
        Examples:
          rootless engine rm web
          rootless engine rm -f web        # stop it first if it runs
        """
        from rootless.engine import containers  # noqa: PLC0415

        return _each(
            names or [],
            all_,
            lambda ref: containers.remove(ref, force=force, timeout=time_, warn=_warn),
        )

    @app.command("logs")
    def logs(
        name: str = typer.Argument(..., metavar="CONTAINER"),
        follow: bool = typer.Option(False, "-f", "--follow", help="Keep printing new output."),
        tail: int = typer.Option(-1, "--tail", help="Only the last N lines (-1: all)."),
        timestamps: bool = typer.Option(False, "-t", "--timestamps", help="Show timestamps."),
    ) -> int:
        """Print the output of a detached container (podman logs): its stdout on stdout,
        its stderr on stderr.

        \b
        Examples:
          rootless engine logs web
          rootless engine logs -f --tail 10 web
        """
        from rootless.engine import containers  # noqa: PLC0415

        ref = containers.find(name)
        if not ref.state.get("detach"):
            sys.stderr.write(
                "rootless: note: the container ran in the foreground; its output went to "
                "the terminal and was not logged\n"
            )
        containers.print_logs(
            ref, follow=follow, tail=None if tail < 0 else tail, timestamps=timestamps
        )
        return ExitCode.OK


__all__ = ["RUN_OPTIONS", "execute_run", "fast_run", "parse_run_args", "register"]
