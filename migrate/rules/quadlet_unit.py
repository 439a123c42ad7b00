"""A systemd unit that runs `docker run` -> a Quadlet `.container` file (podlet-compatible)."""

from __future__ import annotations

from rootless.migrate.model import DOCS, NewFile, Note, Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure

COMPOSE_WORDS = ("docker-compose", "/usr/bin/docker-compose", "/usr/local/bin/docker-compose")


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.quadlet import convert, engine_of  # noqa: PLC0415
    from rootless.migrate.unitfile import UnitFile, split_exec  # noqa: PLC0415

    unit: UnitFile = s.root
    conv = convert(unit, s.path)
    if conv is None:
        for e in unit.get("Service", "ExecStart"):
            split = split_exec(e.value)
            words = split[1] if split else []
            if words and (
                words[0] in COMPOSE_WORDS
                or (engine_of(words) and len(words) > 1 and words[1] == "compose")
            ):
                yield RULE.note(
                    e.value_start,
                    "this unit runs a compose stack: no Quadlet is generated for it",
                    severity=Severity.WARNING,
                    fix=(
                        "podlet compose --pod FILE writes one Quadlet per service; or keep the "
                        "unit with `podman compose up` as a user unit (and loginctl "
                        "enable-linger)"
                    ),
                )
            elif (
                words
                and words[0] in ("/bin/sh", "/bin/bash", "sh", "bash", "/usr/bin/bash")
                and any("docker" in w for w in words[1:])
            ):
                yield RULE.note(
                    e.value_start,
                    "docker runs inside a shell command line here: no Quadlet is generated "
                    "(the shell may do more than start one container)",
                    severity=Severity.WARNING,
                    fix="move the docker run line into ExecStart= directly, or write the Quadlet by hand",
                )
        return
    from rootless.migrate.quadlet import runs_container  # noqa: PLC0415

    run = next(e for e in unit.get("Service", "ExecStart") if runs_container(e) is not None)
    where = ctx.settings.quadlet_dir.rstrip("/")
    service = conv.name.rsplit(".", 1)[0]
    message = (
        f"Quadlet unit {conv.name} generated for this `{'docker' if conv.docker else 'podman'} "
        f"run`: put it in {where}/, then `systemctl --user daemon-reload && systemctl --user "
        f"start {service}`; `loginctl enable-linger $USER` keeps it running without a login; "
        f"disable the old unit (`systemctl disable --now {service}`)"
    )
    severity = Severity.REVIEW if conv.docker else Severity.INFO
    yield NewFile(
        conv.name,
        conv.text,
        Note(
            RULE.id,
            severity,
            run.start,
            message,
            f"rootless migrate --write --quadlet-dir {where} FILE",
            RULE.link,
        ),
        pending=conv.docker,
    )
    for r in conv.remarks:
        yield RULE.note(
            r.entry.start,
            r.message,
            severity=Severity.WARNING if r.severity == "warning" else Severity.INFO,
        )


RULE = Rule(
    id="quadlet-unit",
    summary="systemd units running docker run -> a Quadlet .container file (new file)",
    example="ExecStart=/usr/bin/docker run --name redis -p 6379:6379 redis:7  ->  redis.container (Image=docker.io/library/redis:7, PublishPort=6379:6379)",
    severity=Severity.REVIEW,
    link=f"{DOCS}/podman-systemd.unit.5.html",
    on_structure=check_structure,
    structures=frozenset({"unit"}),
)
