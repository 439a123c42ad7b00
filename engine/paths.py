"""Where the engine keeps its data: the one place the store-root rule lives.

A module of its own, importing only :mod:`os`, so both the image store
(:mod:`rootless.engine.store`, heavy: dataclasses, pathlib, json) and the run hot path
(:mod:`rootless.engine.containers`, which must not import the store: ~27 ms) use the same
rule instead of two copies of it.
"""

from __future__ import annotations

import os


def store_root() -> str:
    """``$ROOTLESS_STORE``, else ``$XDG_DATA_HOME/rootless``, else ``~/.local/share/rootless``."""
    env = os.environ.get("ROOTLESS_STORE")
    if env:
        return env
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return os.path.join(xdg, "rootless")
    return os.path.join(os.path.expanduser("~"), ".local", "share", "rootless")
