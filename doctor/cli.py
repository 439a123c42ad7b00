"""The ``rootless doctor`` command for typer: options and help only.

The work happens in :mod:`rootless.doctor.command`, which the entry point also calls
directly (a fast path that skips typer) when no ``--help`` is asked for.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .command import run_doctor
from .options import DoctorOptions


def doctor(
    *,
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="CHECK-ID",
            help="Run only these checks (plus what they depend on); see --list.",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only a JSON document on stdout.")
    ] = False,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the checks (id, title, probe, fix) and exit.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "-v", "--verbose", help="Show every detail, why it matters, links and timings."
        ),
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="NAME",
            help="As root: check this user (their session and the probes need their own login).",
        ),
    ] = None,
    no_probe: Annotated[
        bool,
        typer.Option(
            "--no-probe",
            help="Do not create user namespaces, mounts or tap devices; only read the host.",
        ),
    ] = False,
    fix_script: Annotated[
        str | None,
        typer.Option(
            "--fix-script",
            metavar="PATH|-",
            help="Write a fix script for the problems found (- for stdout).",
        ),
    ] = None,
    explain_text: Annotated[
        str | None,
        typer.Option(
            "--explain",
            metavar="TEXT",
            help="Paste a podman/newuidmap/crun error: run the checks that explain it.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings count as findings for the exit code.")
    ] = False,
    ports: Annotated[
        list[str] | None,
        typer.Option(
            "--port",
            metavar="[IP:]PORT",
            help="A host port you will publish (-p PORT:...); published-ports checks it is "
            "free. Repeatable.",
        ),
    ] = None,
) -> int:
    """Check this host for rootless Podman, explain each problem and write the fixes.

    Run it as the user who will run containers. It reads the host and, unless --no-probe,
    really creates a user namespace with your sub-id ranges, mounts overlay in it and opens
    /dev/net/tun - it never changes the host. Exit codes: 0 no problems (warnings allowed),
    1 problems found, 2 usage error, 3 internal error.

    Examples:

      rootless doctor                          # every check, one line each

      rootless doctor -v subid-ranges          # one check, with details

      rootless doctor --json > report.json     # machine-readable

      rootless doctor --fix-script fix.sh      # review it, then run it

      rootless doctor --explain "cannot clone: Invalid argument"

      rootless doctor published-ports --port 8080 --port 127.0.0.1:8443

      sudo rootless doctor --user alice --no-probe
    """
    return run_doctor(
        DoctorOptions(
            ids=tuple(ids or ()),
            json_output=json_output,
            list_only=list_only,
            verbose=verbose,
            user=user,
            probes=not no_probe,
            fix_script=fix_script,
            explain_text=explain_text,
            strict=strict,
            ports=tuple(ports or ()),
        )
    )
