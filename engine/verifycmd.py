"""``rootless verify`` as a command: options, the checklist on the terminal, the JSON envelope.

No typer here: :func:`fast_verify` is registered in :data:`rootless.entry.FAST_PATHS`
(typer and pydantic cost ~0.1 s of start-up); ``--help`` goes through typer
(:mod:`rootless.engine.verifycli`), which calls :func:`run_verify` with the same options.
:data:`OPTIONS` is the option table of both (a test compares them).
"""

from __future__ import annotations

import json
import os
import sys

from rootless import __version__
from rootless.errors import UsageError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from typing import IO, Any

    from rootless.doctor import Finding
    from rootless.engine.verify import Report, StepResult

#: bump when a key of the envelope changes meaning or disappears
ENVELOPE_VERSION = 1

#: (spellings, destination, takes a value)
OPTIONS: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (("--image",), "image", True),
    (("--tls-verify",), "tls_verify", True),
    (("--port",), "port", True),
    (("--json",), "json_output", False),
)

SYMBOLS = {"passed": "✓", "failed": "✗", "skipped": "-"}
ASCII_SYMBOLS = {"passed": "+", "failed": "x", "skipped": "-"}
STYLES = {"passed": "green", "failed": "red", "skipped": "dim"}


def parse_args(args: list[str]) -> dict[str, Any]:
    """The fast path's parser: ``--opt value`` or ``--opt=value``; no positional arguments."""
    known = {flag: (dest, takes) for flags, dest, takes in OPTIONS for flag in flags}
    values: dict[str, Any] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if name not in known:
            if not arg.startswith("-"):
                raise UsageError(
                    f"unexpected argument {arg!r}: the image goes after --image",
                    hint="rootless verify --help",
                )
            raise UsageError(f"no such option: {name}", hint="rootless verify --help")
        dest, takes = known[name]
        if takes and not eq:
            if not rest:
                raise UsageError(f"option {name} requires an argument")
            value = rest.pop(0)
        elif not takes and eq:
            raise UsageError(f"option {name} does not take a value")
        values[dest] = value if takes else True
    return values


def parse_port(value: str | int | None) -> int | None:
    if value is None:
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise UsageError(f"--port: expected a port number from 1 to 65535, got {text!r}")
    return int(text)


def fast_verify(args: list[str]) -> int:
    """``rootless verify ...`` without typer."""
    from rootless.engine.pullcmd import parse_bool  # noqa: PLC0415

    values = parse_args(args)
    return run_verify(
        image=values.get("image"),
        tls_verify=parse_bool(values.get("tls_verify")),
        port=parse_port(values.get("port")),
        json_output=bool(values.get("json_output")),
    )


def run_verify(
    *,
    image: str | None = None,
    tls_verify: bool | None = None,
    port: int | None = None,
    json_output: bool = False,
    stream: IO[str] | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run the proof, print the checklist (or the JSON document); 0 only when every step
    passed, 1 otherwise."""
    from rootless.engine.verify import DEFAULT_IMAGE, Verifier  # noqa: PLC0415

    out = stream if stream is not None else sys.stdout
    environ = dict(os.environ) if env is None else env
    image = image or DEFAULT_IMAGE
    printer = None if json_output else Checklist(out, environ)
    verifier = Verifier(
        image,
        tls_verify=tls_verify,
        port=port,
        on_start=printer.start if printer else None,
        on_done=printer.done if printer else None,
    )
    if printer is not None:
        printer.header(image, verifier.port)
    report = verifier.run()
    code = ExitCode.OK if report.passed else ExitCode.FINDINGS
    if printer is not None:
        printer.footer(report)
    else:
        out.write(
            json.dumps(
                envelope(report, int(code), tls_verify),
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
            + "\n"
        )
    out.flush()
    return int(code)


def envelope(report: Report, exit_code: int, tls_verify: bool | None) -> dict[str, Any]:
    """The ``--json`` document (its keys are a contract: tests pin them)."""
    from rootless.engine.verify import HOST_IP  # noqa: PLC0415

    return {
        "rootless_verify_version": ENVELOPE_VERSION,
        "rootless_version": __version__,
        "status": "passed" if report.passed else "failed",
        "exit_code": exit_code,
        "user": _user(),
        "uid": os.getuid(),
        "image": report.image,
        "image_name": report.image_name,
        "image_id": report.image_id,
        "options": {
            "image": report.image,
            "tls_verify": tls_verify,
            "host_ip": HOST_IP,
            "port": report.port,
        },
        "total_ms": round(report.total * 1000, 1),
        "failed_steps": [s.id for s in report.failed_steps],
        "steps": [s.to_json() for s in report.steps],
        "checks": [f.to_json() for f in report.checks],
    }


def _user() -> str:
    import pwd  # noqa: PLC0415

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


class Checklist:
    """The steps as they finish, one line each (rich; colour only on a terminal and without
    NO_COLOR); on a terminal the running step shows until it is done."""

    def __init__(self, stream: IO[str], env: dict[str, str]) -> None:
        from rootless.doctor.report import can_encode, text_console  # noqa: PLC0415

        self.stream = stream
        self.console = text_console(stream, env)
        isatty = getattr(stream, "isatty", None)
        self.live = bool(isatty and isatty()) and env.get("TERM") != "dumb"
        self.symbols = SYMBOLS if can_encode(stream, "✓✗…→•") else ASCII_SYMBOLS
        self.arrow, self.bullet, self.dots = (
            ("→", "•", "…") if self.symbols is SYMBOLS else ("->", "*", "...")
        )

    def print(self, text: str, style: str | None = None) -> None:
        self.console.print(text, style=style, markup=False)

    def header(self, image: str, port: int) -> None:
        self.console.print(
            f"rootless verify · {_user()} (uid {os.getuid()}) · {image} · -p 127.0.0.1:{port}:80",
            style="bold",
            markup=False,
        )
        self.console.print()

    def start(self, step_id: str) -> None:
        if self.live:
            from rootless.engine.verify import TITLES  # noqa: PLC0415

            self.stream.write(f"[{self.dots}] {TITLES[step_id]}{self.dots}")
            self.stream.flush()

    def done(self, step: StepResult) -> None:
        from rich.markup import escape  # noqa: PLC0415

        if self.live and step.status != "skipped":
            self.stream.write("\r\x1b[2K")
        style = STYLES[step.status]
        timing = _ms(step.duration) if step.status != "skipped" else ""
        self.console.print(
            f"[{style}]\\[{self.symbols[step.status]}][/{style}] {timing:>7}  "
            f"[bold]{escape(step.title)}[/bold]: {escape(step.summary)}"
        )
        shown = step.details if step.failed else [d for d in step.details if _is_warning(d)]
        for line in shown:
            self.print(f"             {self.bullet} {line}", "dim" if not step.failed else None)

    def footer(self, report: Report) -> None:
        n = len(report.steps)
        passed = sum(1 for s in report.steps if s.status == "passed")
        failed = report.failed_steps
        skipped = n - passed - len(failed)
        self.console.print()
        if report.passed:
            self.console.print(
                f"{self.symbols['passed']} rootless containers work here: {passed} of {n} steps "
                f"passed in {report.total:.2f} s.",
                style="bold green",
                markup=False,
            )
            return
        parts = [f"{len(failed)} failed", f"{passed} passed"]
        if skipped:
            parts.append(f"{skipped} not run")
        self.console.print(
            f"{self.symbols['failed']} rootless verify failed at {failed[0].title!r}: "
            f"{', '.join(parts)} ({report.total:.2f} s).",
            style="bold red",
            markup=False,
        )
        shown: set[str] = set()
        for step in failed:
            self._explain(step, shown)

    def _explain(self, step: StepResult, shown: set[str]) -> None:
        self.console.print()
        self.print(f"{step.title}:", "bold")
        if step.error:
            self.print(f"  error: {step.error}")
        exp = step.explanation
        if exp is None:
            self.print(
                "  no doctor check explains this failure: it does not come from this host's rootless "
                "setup (see the error above)"
            )
            return
        self.print(f"  explained by: {exp.command}", "bold")
        if exp.command in shown:
            self.print("  (its finding and fix are shown above)")
            return
        shown.add(exp.command)
        findings = step.findings or ([exp.finding] if exp.finding is not None else [])
        for finding in findings:
            self._finding(finding)
        if exp.snippet:
            self.print("  fix (from the doctor's fix script):", "cyan")
            for line in exp.snippet.rstrip("\n").splitlines():
                self.print(f"    {line}", "cyan")
            self.print(f"  the whole script: {exp.command} --fix-script fix.sh", "cyan")

    def _finding(self, finding: Finding) -> None:
        from rootless.doctor.report import SYMBOLS as DOCTOR_SYMBOLS  # noqa: PLC0415
        from rootless.doctor.report import problem_lines  # noqa: PLC0415

        symbol = DOCTOR_SYMBOLS[finding.status] if self.symbols is SYMBOLS else "*"
        self.print(f"  [{symbol}] {finding.title}: {finding.summary}")
        for line in problem_lines(finding):
            self.print(f"      {self.bullet} {line}")


def _is_warning(line: str) -> bool:
    return line.startswith(("warn: ", "warning: "))
