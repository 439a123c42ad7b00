"""Helpers for the doctor tests: snapshot hosts on disk, variations of them, one-check runs."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rootless.doctor import diagnose, host_facts
from rootless.doctor.model import Finding
from rootless.doctor.report import build_envelope
from rootless.doctor.snapshot import SnapshotHost

HOSTS = Path(__file__).parent / "hosts"
SNAPSHOTS = sorted(p.name for p in HOSTS.iterdir() if (p / "host.toml").exists())


def deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into ``base``; a None value deletes the key."""
    out = dict(base)
    for key, value in extra.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def variant(
    tmp_path: Path,
    snapshot: str,
    *,
    files: Mapping[str, str | bytes | None] | None = None,
    config: Mapping[str, Any] | None = None,
) -> SnapshotHost:
    """A copy of a recorded host with some files replaced (None deletes) and host.toml
    keys merged in. The copy lives in ``tmp_path``; the recorded host stays untouched."""
    target = tmp_path / snapshot
    shutil.copytree(HOSTS / snapshot, target)
    for path, content in (files or {}).items():
        p = target / "root" / path.lstrip("/")
        if content is None:
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        if "/bin/" in path or "/sbin/" in path:
            p.chmod(0o755)
    base = tomllib.loads((target / "host.toml").read_text())
    merged = deep_merge(base, config or {})
    return SnapshotHost(target, merged)


def run_one(host: SnapshotHost, check_id: str, *, probes: bool = True) -> Finding:
    """Run one check (and what it depends on) and return its finding."""
    findings = diagnose(host, [check_id], probes=probes).findings
    return next(f for f in findings if f.id == check_id)


def check_case(
    tmp_path: Path,
    check_id: str,
    *,
    base: str = "rhel9-ok",
    files: Mapping[str, str | bytes | None] | None = None,
    config: Mapping[str, Any] | None = None,
    probes: bool = True,
) -> Finding:
    """One check against a variant of a recorded host."""
    return run_one(variant(tmp_path, base, files=files, config=config), check_id, probes=probes)


def text_of(finding: Finding) -> str:
    """Summary and details as one string, for `in` assertions."""
    return "\n".join([finding.summary, *finding.details])


def fix_templates(finding: Finding) -> list[str]:
    return [s.template for s in finding.fix.steps] if finding.fix else []


def snapshot_document(host: SnapshotHost) -> dict[str, Any]:
    """The doctor's JSON for a snapshot, without timings (the golden expected.json)."""
    result = diagnose(host)
    exit_code = 1 if any(f.status.value in ("fail", "error") for f in result.findings) else 0
    doc = build_envelope(
        result.findings, host_facts(host, result.facts), exit_code=exit_code, options={}
    )
    for finding in doc["findings"]:
        finding.pop("duration_ms")
    return json.loads(json.dumps(doc))
