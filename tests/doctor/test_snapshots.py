"""Every recorded host under tests/doctor/hosts/ -> all checks -> the golden expected.json.

`pytest --regen tests/doctor/test_snapshots.py` rewrites the golden files after an intended
change; review the diff.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from doctor_helpers import HOSTS, SNAPSHOTS, snapshot_document

from rootless.doctor.fixes import render_fix_script
from rootless.doctor.registry import REGISTRY, all_checks
from rootless.doctor.snapshot import SnapshotHost


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot_matches_golden(name: str, regen: bool) -> None:
    host = SnapshotHost(HOSTS / name)
    doc = snapshot_document(host)
    assert host.unused() == [], "the snapshot scripts commands/probes no check used"
    golden = HOSTS / name / "expected.json"
    if regen:
        golden.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    assert golden.exists(), f"no golden file: run pytest --regen {__file__}"
    assert doc == json.loads(golden.read_text())


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot_text_report_matches_golden(name: str, regen: bool) -> None:
    """The human report as a user sees it (NO_COLOR), for review alongside the JSON."""
    import io

    from rootless.doctor import diagnose
    from rootless.doctor.report import render_text

    host = SnapshotHost(HOSTS / name)
    stream = io.StringIO()
    render_text(
        diagnose(host).findings, stream, header=f"rootless doctor · {name}", env={"NO_COLOR": "1"}
    )
    golden = HOSTS / name / "expected.txt"
    if regen:
        golden.write_text(stream.getvalue())
    assert stream.getvalue() == golden.read_text()


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot_findings_only_use_declared_templates(name: str) -> None:
    all_checks()
    doc = snapshot_document(SnapshotHost(HOSTS / name))
    for finding in doc["findings"]:
        for step in (finding["fix"] or {}).get("steps", []):
            assert step["template"] in REGISTRY[finding["id"]].templates, (
                finding["id"],
                step["template"],
            )


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot_fix_script_is_valid_sh(name: str) -> None:
    from rootless.doctor import diagnose

    host = SnapshotHost(HOSTS / name)
    script = render_fix_script(diagnose(host).findings, host)
    res = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


EXPECTED_PROBLEMS = {
    "centos7-userns-off": {"user-namespaces": "fail"},
    "centos7-reboot-pending": {"user-namespaces": "fail"},
    "rhel9-ok": {},
    "debian12-no-uidmap": {"uidmap-helpers": "fail", "user-session-bus": "warn", "linger": "warn"},
    "ubuntu2404-apparmor-local-podman": {"apparmor-userns": "fail"},
    "fedora40-filecaps": {},
    "arch-empty-subuid": {"subid-ranges": "fail"},
    "opensuse-nfs-home": {"storage-filesystem": "fail", "home-dir": "warn"},
    "alpine-openrc": {
        "tun-device": "fail",
        "shared-root-mount": "warn",
        "runtime-dir": "warn",
        "cgroup-v2": "warn",
    },
    "subuid-overlap-own-uid": {"subid-ranges": "fail", "userns-mapping": "fail"},
    "subuid-malformed": {"subid-ranges": "fail"},
    "debian12-root-checks-alice": {"docker-group": "warn", "docker-socket": "warn"},
}


def test_every_snapshot_states_its_point() -> None:
    assert set(EXPECTED_PROBLEMS) == set(SNAPSHOTS)


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot_has_the_problem_it_was_recorded_for(name: str) -> None:
    """Independent of the golden file: the problem the snapshot exists for is reported."""
    doc = snapshot_document(SnapshotHost(HOSTS / name))
    statuses = {f["id"]: f["status"] for f in doc["findings"]}
    for check_id, status in EXPECTED_PROBLEMS[name].items():
        assert statuses[check_id] == status, (check_id, statuses[check_id])
    if not any(s == "fail" for s in EXPECTED_PROBLEMS[name].values()):
        assert "fail" not in statuses.values(), statuses
