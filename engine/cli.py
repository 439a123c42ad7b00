"""``rootless engine``: the embedded engine's command group.

Command definitions live with their library: :mod:`rootless.engine.imagecli` (pull,
images, rmi, prune, and the group's ``--store`` option); the runtime registers its own.
"""

from __future__ import annotations

import typer

from rootless.engine import imagecli

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
