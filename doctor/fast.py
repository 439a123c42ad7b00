"""`rootless doctor` on the fast path: options parsed without typer, and the slow facts -
the namespace probe and `podman --version`, which wait on other processes - started before
the checks and the report are imported, so those imports overlap with them.

Registered in ``rootless.entry.FAST_PATHS``; ``--help`` still goes through typer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from .options import OptionParser

if TYPE_CHECKING:
    from .host import Host

#: checks that read the namespace probe (a test keeps this in step with the registry)
PROBE_CHECKS = frozenset({"userns-mapping", "overlay-mount", "tun-device"})
#: start the slow facts early (tests that swap in a recorded host turn it off)
EARLY_START = True


def main(args: list[str]) -> int:
    opts = OptionParser.parse(args)
    early = (
        EARLY_START
        and opts.user is None
        and not opts.list_only
        and opts.explain_text is None
        and os.getuid() != 0
        and (not opts.ids or bool(PROBE_CHECKS & set(opts.ids)) or "podman-version" in opts.ids)
    )
    if not early:
        from .command import run_doctor  # noqa: PLC0415 - the whole doctor, as usual

        return run_doctor(opts)
    from .facts import namespace_probe, podman_info  # noqa: PLC0415 - imported in order
    from .host import RealHost  # noqa: PLC0415
    from .runner import Facts, prefetch  # noqa: PLC0415

    host = RealHost()
    facts = Facts(host)
    wanted = set(opts.ids)
    slow: list[Callable[[Host], object]] = [podman_info]
    if opts.probes and (not wanted or wanted & PROBE_CHECKS):
        slow.append(namespace_probe)
    prefetch(facts, slow)
    from .command import run_doctor  # noqa: PLC0415 - imports the checks meanwhile

    return run_doctor(opts, host=host, facts=facts)
