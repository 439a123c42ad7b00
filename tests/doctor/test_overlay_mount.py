from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

ERR = (
    "mount -t overlay on /home/alice/.rootless-doctor-overlay-1: Operation not permitted (errno 1)"
)


@pytest.mark.parametrize(
    ("files", "config", "probes", "status", "expected"),
    [
        pytest.param(
            {},
            {},
            True,
            "ok",
            "overlayfs mounts in a user namespace on xfs",
            id="native overlay works",
        ),
        pytest.param(
            {},
            {"probes": {"overlay": {"ok": False, "error": ERR}}},
            True,
            "fail",
            "native overlay failed on xfs: " + ERR,
            id="native overlay fails",
        ),
        pytest.param(
            {"/usr/bin/fuse-overlayfs": "#!/bin/sh\n"},
            {"probes": {"overlay": {"ok": False, "error": ERR}}},
            True,
            "warn",
            "podman falls back to fuse-overlayfs (/usr/bin/fuse-overlayfs)",
            id="fuse-overlayfs as the fallback",
        ),
        pytest.param(
            {},
            {},
            False,
            "skip",
            "kernel 5.14.0-427.13.1.el9_4.x86_64 supports rootless overlay",
            id="--no-probe, new kernel",
        ),
        pytest.param(
            {"/proc/sys/kernel/osrelease": "5.4.0-150-generic\n"},
            {},
            False,
            "warn",
            "kernel 5.4.0-150-generic is older than 5.11",
            id="--no-probe, old kernel",
        ),
        pytest.param(
            {},
            {"files": {"/home/alice/.local/share/containers/storage": {"mode": 0o500}}},
            True,
            "skip",
            "cannot write to the storage directory",
            id="storage not writable",
        ),
    ],
)
def test_overlay_mount(
    tmp_path: Path, *, files: dict, config: dict, probes: bool, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "overlay-mount", files=files, config=config, probes=probes)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_failure_without_fuse_overlayfs_offers_it(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path, "overlay-mount", config={"probes": {"overlay": {"ok": False, "error": ERR}}}
    )
    assert fix_templates(finding) == ["install-packages"]
    assert finding.fix.steps[0].context == {"component": "fuse-overlayfs"}
