"""``rootless engine``: the embedded engine's command group.

Command definitions live with their library: :mod:`rootless.engine.imagecli` (pull,
images, rmi, prune, and the group's ``--store`` option) and :mod:`rootless.engine.runcli`
(run, ps, stop, rm, logs).
"""

from __future__ import annotations

import typer

from rootless.engine import imagecli, runcli

app = typer.Typer(
    name="engine",
    help=(
        "An embedded rootless container engine: pull, list and remove images, and run them "
        "as your unprivileged user, with no podman or daemon needed."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
imagecli.register(app)
runcli.register(app)
