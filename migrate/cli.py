"""``rootless migrate``: the thin command over :mod:`rootless.migrate`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from rootless.errors import RootlessError, UsageError
from rootless.exitcodes import ExitCode

MODES = ("diff", "check", "write")


def _ids(values: list[str]) -> frozenset[str]:
    return frozenset(v.strip() for item in values for v in item.split(",") if v.strip())


def _cgroup_v2(choice: str) -> bool | None:
    if choice == "v2":
        return True
    if choice == "v1":
        return False
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _list_rules(as_json: bool) -> int:
    import json  # noqa: PLC0415

    from rootless.migrate.registry import DRIVER_NOTES, all_rules  # noqa: PLC0415

    rules = all_rules()
    if as_json:
        doc = [
            {
                "id": r.id,
                "severity": r.severity.value,
                "summary": r.summary,
                "example": r.example,
                "link": r.link,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return ExitCode.OK
    width = max(len(r.id) for r in rules)
    for r in rules:
        sys.stdout.write(f"{r.id.ljust(width)}  {r.severity.value:<7}  {r.summary}\n")
        sys.stdout.write(f"{'':{width}}  {'':7}  e.g. {r.example}\n")
    for rid, text in DRIVER_NOTES.items():
        sys.stdout.write(f"{rid.ljust(width)}  {'warning':<7}  {text} (reported by the driver)\n")
    return ExitCode.OK


def migrate(  # noqa: PLR0917 - typer options are parameters
    paths: list[str] = typer.Argument(  # noqa: B008
        None,
        metavar="PATH",
        help="Files or directories (recursive; .gitignore is honoured, .git skipped).",
    ),
    write: bool = typer.Option(False, "--write", "-w", help="Apply the changes in place."),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if anything would change (CI, pre-commit)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    sarif: str | None = typer.Option(
        None, "--sarif", metavar="FILE", help="Also write SARIF 2.1.0 to FILE ('-': stdout)."
    ),
    select: list[str] = typer.Option(  # noqa: B008
        [], "--select", metavar="IDS", help="Only these rule ids (comma-separated, repeatable)."
    ),
    ignore: list[str] = typer.Option(  # noqa: B008
        [], "--ignore", metavar="IDS", help="Skip these rule ids (comma-separated, repeatable)."
    ),
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules and exit."),
    aliases: bool = typer.Option(
        False, "--aliases", help="Print shell aliases for interactive use and exit."
    ),
    compose_target: str = typer.Option(
        "podman compose",
        "--compose-target",
        metavar="TARGET",
        help="What docker-compose becomes: 'podman compose' or 'podman-compose'.",
    ),
    images: str = typer.Option(
        "apply",
        "--images",
        metavar="[apply|suggest|off]",
        help="Short image names: apply (qualify), suggest, or off.",
    ),
    cgroups: str = typer.Option(
        "auto",
        "--cgroups",
        metavar="[auto|v1|v2]",
        help="Target host's cgroups for the resource-limit warning: auto (this host), v1, v2.",
    ),
    backup: str | None = typer.Option(
        None, "--backup", metavar="SUFFIX", help="With --write, keep the original as FILE+SUFFIX."
    ),
    max_size: int = typer.Option(
        2 * 1024 * 1024, "--max-size", metavar="BYTES", help="Skip larger files."
    ),
    jobs: int = typer.Option(
        0, "--jobs", "-j", metavar="N", help="Worker processes (0: one per core)."
    ),
    color: str = typer.Option(
        "auto",
        "--color",
        metavar="[auto|always|never]",
        help="auto, always or never (NO_COLOR honoured).",
    ),
    quadlet_dir: str | None = typer.Option(
        None,
        "--quadlet-dir",
        metavar="DIR",
        help="With --write, write generated Quadlet files into DIR (default: print them; "
        "they belong in ~/.config/containers/systemd/).",
    ),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="Ask each image reference's registry whether it exists (manifest HEAD); "
        "unresolvable references are reported per file:line and fail the run.",
    ),
    edit_units: bool = typer.Option(
        False,
        "--edit-units",
        help="Also edit systemd units in place (docker -> podman in Exec*= lines); by default "
        "units only get a Quadlet file.",
    ),
) -> int:
    """Rewrite docker usage for rootless podman: scripts, rc files, Makefiles, crontabs, env
    files, compose files, systemd units (-> Quadlet), Dockerfiles and CI configs.

    Shows a unified diff and a report (rule id, line:column, why, link) unless told to
    --write or --check. Every byte outside a change is kept as it was; YAML is edited in
    place, never re-written. A systemd unit running `docker run` gets a new Quadlet
    .container file (printed, or written with --write --quadlet-dir DIR).

    \b
    Examples:
      rootless migrate ./scripts                 # diff + report, changes nothing
      rootless migrate --write deploy.sh Makefile
      rootless migrate --check .                 # exit 1 if anything would change
      rootless migrate --json --select docker-command,sudo-docker .
      rootless migrate docker-compose.yml .github/workflows Dockerfile
      rootless migrate --write --quadlet-dir ~/.config/containers/systemd redis.service
      rootless migrate --check --verify compose.yaml Dockerfile
      rootless migrate --sarif migrate.sarif --check .
      rootless migrate --list-rules
      rootless migrate --aliases >> ~/.bashrc

    \b
    Exit codes: 0 nothing to change; 1 changes needed (or made with --write), a file
    could not be written, or (--verify) an image reference does not resolve; 2 usage error.
    """
    if list_rules:
        return _list_rules(as_json)
    if compose_target not in ("podman compose", "podman-compose"):
        raise UsageError("--compose-target must be 'podman compose' or 'podman-compose'")
    if aliases:
        from rootless.migrate.aliases import render_aliases  # noqa: PLC0415

        sys.stdout.write(render_aliases(compose_target))  # type: ignore[arg-type]
        return ExitCode.OK
    if write and check:
        raise UsageError("--write and --check exclude each other")
    if images not in ("apply", "suggest", "off"):
        raise UsageError("--images must be apply, suggest or off")
    if cgroups not in ("auto", "v1", "v2"):
        raise UsageError("--cgroups must be auto, v1 or v2")
    if color not in ("auto", "always", "never"):
        raise UsageError("--color must be auto, always or never")
    if not paths:
        raise UsageError(
            "no PATH given", hint="rootless migrate ./scripts (see rootless migrate --help)"
        )
    from rootless.migrate.registry import DRIVER_NOTES, all_rules  # noqa: PLC0415

    known = {r.id for r in all_rules()} | set(DRIVER_NOTES)
    sel, ign = _ids(select), _ids(ignore)
    unknown = sorted((sel | ign) - known)
    if unknown:
        raise UsageError(
            f"unknown rule id(s): {', '.join(unknown)}", hint="rootless migrate --list-rules"
        )
    from rootless.migrate.model import Settings  # noqa: PLC0415

    if quadlet_dir is not None and not write:
        raise UsageError(
            "--quadlet-dir writes files: use it with --write",
            hint="without --write the Quadlet files are shown in the diff",
        )
    settings = Settings(
        compose_target=compose_target,  # type: ignore[arg-type]
        image_mode=images,  # type: ignore[arg-type]
        cgroup_v2=_cgroup_v2(cgroups),
        select=sel or None,
        ignore=ign,
        verify=not check,
        edit_units=edit_units,
        quadlet_dir=quadlet_dir or "~/.config/containers/systemd",
        collect_images=verify,
    )
    mode = "write" if write else "check" if check else "diff"
    return _run(
        [Path(p) for p in paths],
        settings,
        mode=mode,
        as_json=as_json,
        sarif=sarif,
        backup=backup,
        max_size=max_size,
        jobs=jobs,
        color=_use_color(color),
        quadlet_dir=quadlet_dir,
        verify=verify,
    )


def _run(
    paths: list[Path],
    settings: Any,
    *,
    mode: str,
    as_json: bool,
    sarif: str | None,
    backup: str | None,
    max_size: int,
    jobs: int,
    color: bool,
    quadlet_dir: str | None = None,
    verify: bool = False,
) -> int:
    from rootless.migrate import report  # noqa: PLC0415
    from rootless.migrate.files import Skipped, discover  # noqa: PLC0415
    from rootless.migrate.runner import Job, run  # noqa: PLC0415

    explicit_files = {str(p) for p in paths if not p.is_dir()}
    candidates = []
    summary = report.Summary()
    for item in discover(paths):
        if isinstance(item, Skipped):
            summary.skipped.append((item.display, item.reason))
        else:
            candidates.append((item, item.display in explicit_files))
    human = not as_json and sarif != "-"
    job = Job(
        settings,
        max_size,
        want_diff=(mode == "diff" and human) or as_json,
        want_bytes=mode == "write",
        render=human,
        color=color,
        want_findings=as_json or sarif is not None,
    )
    style = report.Style(color)
    out = sys.stdout
    for outcome in run(candidates, job, jobs or None):
        if isinstance(outcome, Skipped):
            summary.skipped.append((outcome.display, outcome.reason))
            continue
        summary.scanned += 1
        if mode == "write" and outcome.changed and outcome.fixed is not None:
            _write(outcome, backup)
            outcome.fixed = None
        target_dir = quadlet_dir or settings.quadlet_dir
        for g in outcome.generated:
            target = os.path.join(os.path.expanduser(target_dir), g.name)
            outcome.placed.append(target)
            if mode == "write" and quadlet_dir is not None:
                _write_generated(outcome, target, g.content)
        summary.files.append(outcome)
        if human:
            if outcome.diff and mode == "diff":
                out.write(report.color_diff(outcome.diff, style))
            if mode != "check" and not (mode == "write" and quadlet_dir is not None):
                for g in outcome.generated:
                    shown = os.path.join(target_dir, g.name)
                    out.write(report.color_diff(report.new_file_diff(shown, g.content), style))
            if outcome.report:
                out.write(outcome.report)
            if outcome.error:
                out.write(style(f"{outcome.path}: error: {outcome.error}", "red") + "\n")
            if mode == "write" and outcome.written:
                out.write(style(f"migrated {outcome.path}", "green") + "\n")
            if mode == "write" and quadlet_dir is not None:
                for target in outcome.placed:
                    out.write(style(f"wrote {target}", "green") + "\n")
    if verify:
        from rootless.migrate.verify import check_all  # noqa: PLC0415

        verdicts = check_all(ref for f in summary.files for _, ref in f.images)
        summary.verified = len(verdicts)
        for f in summary.files:
            f.unresolvable = [
                (line, ref, verdicts[ref].reason)
                for line, ref in f.images
                if ref in verdicts and not verdicts[ref].ok
            ]
            if human and f.unresolvable:
                out.write(report.render_unresolvable(f, style))
    changed = bool(summary.changed)
    failed = any(f.error for f in summary.files) or summary.unresolvable > 0
    code = ExitCode.FINDINGS if changed or failed else ExitCode.OK
    if sarif is not None:
        from rootless.migrate.registry import DRIVER_NOTES, all_rules  # noqa: PLC0415

        text = report.to_sarif(summary, all_rules(), DRIVER_NOTES.items())
        if sarif == "-":
            out.write(text)
        else:
            from rootless.fsutil import atomic_write  # noqa: PLC0415

            atomic_write(sarif, text.encode())
    if as_json:
        out.write(report.to_json(summary, mode, int(code)))
    elif human:
        sys.stderr.write(report.render_skipped(summary, report.Style(False)))
        out.write(report.render_summary(summary, mode, style))
    return code


def _write_generated(outcome: Any, target: str, content: str) -> None:
    from rootless.fsutil import atomic_write  # noqa: PLC0415

    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        atomic_write(target, content.encode(), mode=0o644)
    except OSError as exc:
        outcome.error = f"could not write {target}: {exc.strerror or exc}"


def _write(outcome: Any, backup: str | None) -> None:
    from rootless.fsutil import atomic_write  # noqa: PLC0415

    try:
        atomic_write(outcome.real_path, outcome.fixed, backup_suffix=backup)
        outcome.written = True
    except OSError as exc:
        outcome.error = f"could not write: {exc.strerror or exc}"


__all__ = ["RootlessError", "migrate"]
