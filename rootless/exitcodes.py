"""Every exit code the ``rootless`` command uses, in one place."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes.

    ``rootless engine run`` follows podman for errors raised before the container's own
    process runs (125/126/127); once the container runs, its exit status is passed through.
    """

    OK = 0
    #: doctor found problems, migrate would change (or changed) files, verify failed,
    #: or an operation could not be completed (the message says why).
    FINDINGS = 1
    #: bad command line (click's own code).
    USAGE = 2
    #: a bug in rootless: a traceback was written to the crash log.
    INTERNAL = 3
    #: the engine failed before the container process started (podman uses 125).
    ENGINE = 125
    #: the container command exists but cannot be invoked (podman uses 126).
    CANNOT_INVOKE = 126
    #: the container command was not found (podman uses 127).
    NOT_FOUND = 127
    #: interrupted by Ctrl-C.
    INTERRUPTED = 130
