"""rootless: move from Docker's root daemon to rootless Podman.

The installed package is one namespace: ``rootless.doctor``, ``rootless.migrate``,
``rootless.engine`` and ``rootless.templates`` are the repository's top-level
``doctor/``, ``migrate/``, ``engine/`` and ``templates/`` folders.
"""

from __future__ import annotations

__version__ = "0.1.0"
