"""`rootless doctor` itself: parse options (fast path), run checks, report, write the fix script.

No typer here: :func:`fast_main` is registered in ``rootless.entry.FAST_PATHS`` so a plain
``rootless doctor`` does not pay for typer/click (about 0.1 s); ``--help`` still goes through
typer (:mod:`rootless.doctor.cli`), which builds the same :class:`DoctorOptions`.
"""

from __future__ import annotations

import json
import os
import pwd
import sys
from typing import IO, TYPE_CHECKING

from rootless.errors import UsageError
from rootless.exitcodes import ExitCode

from . import CheckInfo, UnknownCheckError, diagnose, host_facts, list_checks
from .fixes import plan_steps, render_fix_script
from .host import Host, RealHost
from .model import Finding, Status
from .options import DoctorOptions, OptionParser
from .report import build_envelope, render_json, render_text
from .runner import Facts

if TYPE_CHECKING:
    from .explain import Match


def run_doctor(opts: DoctorOptions, *, host: Host | None = None, facts: Facts | None = None) -> int:
    """The command itself: run the checks, print the report, write the fix script.

    ``host``/``facts`` come from :func:`rootless.doctor.fast.main`, which starts the slow
    facts (the namespace probe, podman --version) before this module is even imported.
    """
    if opts.list_only:
        return _list(list_checks(), opts.json_output)
    if opts.fix_script == "-" and opts.json_output:
        raise UsageError(
            "--fix-script - and --json both want stdout; write the script to a file instead"
        )
    host = host if host is not None else _host(opts.user)
    params: dict[str, object] = {}
    if opts.ports:
        from .checks.published_ports import parse_port  # noqa: PLC0415 - only with --port

        for port in opts.ports:
            try:
                parse_port(port)
            except ValueError as exc:
                raise UsageError(f"--port: {exc}") from None
        params["ports"] = list(opts.ports)

    wanted = list(opts.ids) if opts.ids else None
    matched: list[Match] = []
    if opts.explain_text is not None:
        from .explain import matches  # noqa: PLC0415 - only with --explain

        matched = matches(opts.explain_text)
        found = [c for m in matched for c in m.checks]
        if found:
            wanted = list(dict.fromkeys([*(wanted or []), *found]))
    try:
        result = diagnose(host, wanted, probes=opts.probes, facts=facts, params=params)
    except UnknownCheckError as exc:
        raise UsageError(str(exc), hint="`rootless doctor --list` shows every check id") from exc
    findings = result.findings
    bad = {Status.FAIL, Status.ERROR} | ({Status.WARN} if opts.strict else set())
    code = ExitCode.FINDINGS if any(f.status in bad for f in findings) else ExitCode.OK
    host_info = host_facts(host, result.facts)

    report_stream: IO[str] = sys.stderr if opts.fix_script == "-" else sys.stdout
    if opts.json_output:
        options = {
            "checks": wanted,
            "probes": opts.probes,
            "user": opts.user,
            "strict": opts.strict,
            "ports": list(opts.ports),
            "explain": [
                {"fragment": m.fragment, "checks": list(m.checks), "meaning": m.meaning}
                for m in matched
            ]
            if opts.explain_text is not None
            else None,
        }
        sys.stdout.write(
            render_json(build_envelope(findings, host_info, exit_code=int(code), options=options))
        )
    else:
        if opts.explain_text is not None:
            _print_explanation(report_stream, matched)
        distro = (host_info.get("distro") or {}).get("name") or "unknown distribution"
        podman = f"podman {host_info['podman']}" if host_info.get("podman") else "no podman"
        header = f"rootless doctor · {host.user} (uid {host.uid}) · {distro} · {podman}"
        render_text(findings, report_stream, header=header, verbose=opts.verbose)
    if opts.fix_script is not None:
        _write_fix_script(findings, host, opts.fix_script)
    return int(code)


def _host(user: str | None) -> RealHost:
    if user is None:
        return RealHost()
    if os.geteuid() != 0:
        try:
            me = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            me = str(os.getuid())
        if user != me:
            raise UsageError(
                f"--user {user}: only root can check another user",
                hint="run `rootless doctor` as that user",
            )
    try:
        return RealHost(user)
    except KeyError as exc:
        raise UsageError(f"--user {user}: no such user") from exc


def _list(checks: list[CheckInfo], as_json: bool) -> int:
    if as_json:
        doc = [
            {
                "id": c.id,
                "title": c.title,
                "why": c.why,
                "probe": c.probe,
                "fix": c.has_fix,
                "requires": list(c.requires),
            }
            for c in checks
        ]
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return ExitCode.OK
    width = max(len(c.id) for c in checks)
    for c in checks:
        tags = ", ".join(t for t, on in (("probe", c.probe), ("fix", c.has_fix)) if on)
        sys.stdout.write(f"{c.id:<{width}}  {c.title}{f' [{tags}]' if tags else ''}\n")
    return ExitCode.OK


def _print_explanation(stream: IO[str], matched: list[Match]) -> None:
    if not matched:
        stream.write(
            "No known podman, newuidmap, crun or rootlesskit error found in that text; running every check.\n\n"
        )
        return
    stream.write("That error means:\n")
    for m in matched:
        stream.write(f"  “{m.fragment}”: {m.meaning}\n    checked by: {', '.join(m.checks)}\n")
    stream.write("\n")


def _write_fix_script(findings: list[Finding], host: Host, target: str) -> None:
    script = render_fix_script(findings, host)
    steps = plan_steps(findings)
    if target == "-":
        sys.stdout.write(script)
        return
    from rootless.fsutil import atomic_write  # noqa: PLC0415 - tempfile+pathlib: only when writing

    path = os.path.abspath(target)
    if os.path.isdir(path):
        raise UsageError(f"--fix-script {target}: is a directory")
    try:
        atomic_write(path, script.encode(), mode=0o755)
    except OSError as exc:
        raise UsageError(f"--fix-script {target}: {exc.strerror or exc}") from exc
    roots = sum(1 for s in steps if s.step.part == "root")
    sys.stderr.write(
        f"wrote {target}: {len(steps)} step(s), {roots} as root, {len(steps) - roots} as the user.\n"
        f"review it, then: sudo sh {target} root && sh {target} user\n"
    )


#: kept for callers and tests that parse the fast path's options through this module
_Parser = OptionParser


def fast_main(args: list[str]) -> int:
    """`rootless doctor ...` without typer (see :mod:`rootless.doctor.fast`)."""
    return run_doctor(OptionParser.parse(args))
