"""The public API other parts of rootless use (`rootless verify` runs checks by id and prints
their fixes)."""

from __future__ import annotations

import pytest
from doctor_helpers import HOSTS

from rootless.doctor import (
    Status,
    UnknownCheckError,
    explain,
    host_facts,
    list_checks,
    render_fix_script,
    run_checks,
)
from rootless.doctor.snapshot import SnapshotHost


def test_run_checks_by_id_returns_typed_findings() -> None:
    host = SnapshotHost(HOSTS / "subuid-overlap-own-uid")
    findings = run_checks(host, ids=["subid-ranges", "uidmap-helpers"], probes=False)
    by_id = {f.id: f for f in findings}
    assert set(by_id) == {"not-root", "subid-ranges", "uidmap-helpers"}
    assert by_id["subid-ranges"].status is Status.FAIL
    assert by_id["uidmap-helpers"].status is Status.OK


def test_unknown_ids_raise() -> None:
    with pytest.raises(UnknownCheckError) as info:
        run_checks(SnapshotHost(HOSTS / "rhel9-ok"), ids=["subid-ranges", "nope"])
    assert info.value.unknown == ["nope"]


def test_fix_snippet_for_the_findings_verify_reports() -> None:
    host = SnapshotHost(HOSTS / "arch-empty-subuid")
    problems = [f for f in run_checks(host, ids=["subid-ranges"]) if f.status.is_problem]
    script = render_fix_script(problems, host)
    assert "set_subids /etc/subuid alice 1000 100000 65536" in script
    assert "live podman system migrate" in script


def test_explain_and_list() -> None:
    assert (
        explain("newuidmap: write to uid_map failed: Operation not permitted")[0]
        == "uidmap-helpers"
    )
    checks = {c.id: c for c in list_checks()}
    assert checks["userns-mapping"].probe
    assert checks["subid-ranges"].has_fix
    assert checks["subid-ranges"].requires == ("not-root",)


def test_host_facts() -> None:
    facts = host_facts(SnapshotHost(HOSTS / "fedora40-filecaps"))
    assert facts["distro"]["family"] == "fedora"
    assert facts["distro"]["name"] == "Fedora Linux 40 (Workstation Edition)"
    assert facts["kernel"] == "6.8.5-301.fc40.x86_64"
    assert facts["podman"] == "5.0.2"
    assert facts["cgroup"] == "v2"
    assert facts["systemd"] is True
