"""Base error type: an expected failure with a message for the user and an exit code."""

from __future__ import annotations

from rootless.exitcodes import ExitCode


class RootlessError(Exception):
    """A failure the user can act on. The CLI prints ``str(error)`` and exits ``exit_code``.

    ``hint`` is an optional second line (what to do next); ``check_id`` names the doctor
    check that explains the failure, when one does.
    """

    exit_code: ExitCode = ExitCode.FINDINGS

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        check_id: str | None = None,
        exit_code: ExitCode | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.check_id = check_id
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(RootlessError):
    """Bad input on the command line that click cannot detect by itself (e.g. a bad path)."""

    exit_code = ExitCode.USAGE
