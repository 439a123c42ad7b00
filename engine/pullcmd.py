"""The body of ``rootless engine pull``, shared by the typer command and the fast path.

``rootless engine pull IMAGE [--platform P] [--tls-verify=BOOL] [-q]`` is registered in
:data:`rootless.entry.FAST_PATHS`: typer (which pulls in pydantic here) costs ~130 ms, more
than the whole pull of a small image. ``--help`` and anything unusual (e.g. the group's
``--store`` option before ``pull``) still go through typer.
"""

from __future__ import annotations

import sys
import time

from rootless.errors import UsageError
from rootless.exitcodes import ExitCode


def parse_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    low = value.strip().lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise UsageError(f"--tls-verify: expected true or false, got {value!r}")


def human_size(n: float) -> str:
    """Sizes as podman prints them (decimal units, 3 significant digits)."""
    if n < 1000:
        return f"{int(n)} B"
    for unit in ("kB", "MB", "GB", "TB"):
        n /= 1000
        if n < 1000 or unit == "TB":
            return f"{n:.3g} {unit}"
    return f"{n:.3g} TB"


def human_age(created: str | None, now: float | None = None) -> str:
    """``3 days ago`` from an RFC 3339 time stamp, as podman's CREATED column."""
    if not created:
        return "unknown"
    from datetime import datetime  # noqa: PLC0415

    text = created.replace("Z", "+00:00")
    if "." in text:  # Go writes nanoseconds; Python takes at most microseconds
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        text = head + "." + digits[:6] + rest[len(digits) :]
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return "unknown"
    seconds = (time.time() if now is None else now) - when.timestamp()
    for size, unit in (
        (365 * 86400, "year"),
        (30 * 86400, "month"),
        (7 * 86400, "week"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            k = int(seconds // size)
            return f"{k} {unit}{'s' if k > 1 else ''} ago"
    return "Less than a minute ago" if seconds >= 0 else "in the future"


def run_pull(
    image: str, *, platform: str | None = None, tls_verify: bool | None = None, quiet: bool = False
) -> int:
    """Pull ``image`` into the default store; print the image id on stdout (as podman)."""
    from rootless.engine.pull import make_reporter, pull  # noqa: PLC0415
    from rootless.engine.store import Store  # noqa: PLC0415

    result = pull(
        image,
        store=Store(),
        platform=platform,
        tls_verify=tls_verify,
        reporter=make_reporter(quiet),
    )
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    if not quiet:
        for note in result.notes:
            sys.stderr.write(f"note: {note}\n")
        rec = result.record
        how = "full sub-id mapping" if rec.full_mapping else "single-id mapping (owners squashed)"
        fetched = f"{result.layers} layer(s), {human_size(result.downloaded)} downloaded"
        if result.reused:
            fetched += f", {result.reused} already stored"
        state = "unpacked" if result.unpacked else "already unpacked"
        sys.stderr.write(f"Pulled {rec.name} ({fetched}; {state} with {how})\n")
    sys.stdout.write(result.record.id + "\n")
    sys.stdout.flush()
    return ExitCode.OK


def fast_pull(args: list[str]) -> int:
    """``rootless engine pull ...`` without typer (see the module docstring)."""
    image: str | None = None
    options: dict[str, str] = {}
    quiet = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-q", "--quiet"):
            quiet = True
        elif arg.startswith(("--platform", "--tls-verify")):
            key, eq, value = arg.partition("=")
            if key not in ("--platform", "--tls-verify"):
                raise UsageError(f"no such option: {key}")
            if not eq:
                i += 1
                if i >= len(args):
                    raise UsageError(f"option {key} requires an argument")
                value = args[i]
            options[key] = value
        elif arg == "--":
            rest = args[i + 1 :]
            if len(rest) != 1 or image is not None:
                raise UsageError("pull takes exactly one IMAGE")
            image = rest[0]
            break
        elif arg.startswith("-"):
            raise UsageError(f"no such option: {arg} (see `rootless engine pull --help`)")
        elif image is None:
            image = arg
        else:
            raise UsageError(f"pull takes exactly one IMAGE, got extra argument {arg!r}")
        i += 1
    if image is None:
        raise UsageError("missing argument IMAGE (see `rootless engine pull --help`)")
    return run_pull(
        image,
        platform=options.get("--platform"),
        tls_verify=parse_bool(options.get("--tls-verify")),
        quiet=quiet,
    )
