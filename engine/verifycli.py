"""The ``rootless verify`` command for typer: options and help only.

The work happens in :mod:`rootless.engine.verifycmd`; the entry point calls it directly
(a fast path without typer) unless ``--help`` is asked for.
"""

from __future__ import annotations

from typing import Annotated

import typer


def verify(
    *,
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            metavar="REF",
            help="The sample image: it needs a shell, id, stat and an HTTP server (busybox "
            "httpd or python3). Default: docker.io/library/busybox:latest.",
            show_default=False,
        ),
    ] = None,
    tls_verify: Annotated[
        str | None,
        typer.Option(
            "--tls-verify",
            metavar="BOOL",
            help="Require HTTPS with a valid certificate for the pull (default: true unless "
            "registries.conf marks the registry insecure); false also allows plain http://.",
        ),
    ] = None,
    port: Annotated[
        str | None,
        typer.Option(
            "--port",
            metavar="PORT",
            help="Publish the test server on this host port (on 127.0.0.1). Default: a free port.",
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only a JSON document on stdout.")
    ] = False,
) -> int:
    """Prove that rootless containers work on this host: pull and run a sample image.

    As your ordinary user, with no podman and no daemon: runs the doctor's host checks,
    pulls the image, then proves one step after the other, each timed - a user namespace
    with your full /etc/subuid range, image files keeping their owners, running as root and
    as a non-root user, -p to an HTTP server in a container answering on the host, the exit
    code coming back, and nothing left behind. A failed step shows the real error, the
    doctor check that explains it and its fix. Exit codes: 0 every step passed, 1 a step
    failed, 2 usage error, 3 internal error.

    Examples:

      rootless verify

      rootless verify --json > verify.json

      rootless verify --image 127.0.0.1:5000/library/busybox:latest --tls-verify=false

      rootless verify --port 8080          # prove that 8080 can be published
    """
    from rootless.engine.pullcmd import parse_bool  # noqa: PLC0415
    from rootless.engine.verifycmd import parse_port, run_verify  # noqa: PLC0415
    from rootless.errors import UsageError  # noqa: PLC0415

    try:
        tls = parse_bool(tls_verify)
        number = parse_port(port)
    except UsageError as exc:
        raise typer.BadParameter(exc.message) from exc
    return run_verify(image=image, tls_verify=tls, port=number, json_output=json_output)
