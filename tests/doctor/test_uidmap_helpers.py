"""`uidmap-helpers`: setuid *or* file capabilities, root-owned, not on nosuid."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest
from doctor_helpers import HOSTS, check_case, fix_templates, text_of

from rootless.doctor.checks.uidmap_helpers import CAP_SETGID, CAP_SETUID, parse_vfs_capability

SETUID = base64.b64encode(struct.pack("<IIIII", 0x02000001, 1 << 7, 0, 0, 0)).decode()
SETGID = base64.b64encode(struct.pack("<IIIII", 0x02000001, 1 << 6, 0, 0, 0)).decode()
NO_EFFECTIVE = base64.b64encode(struct.pack("<IIIII", 0x02000000, 1 << 7, 0, 0, 0)).decode()
NAMESPACED = base64.b64encode(struct.pack("<IIIIII", 0x03000001, 1 << 7, 0, 0, 0, 1000)).decode()
MOUNTS = (HOSTS / "rhel9-ok/root/proc/self/mountinfo").read_text()


def helpers(uid_entry: dict, gid_entry: dict | None = None) -> dict:
    return {
        "files": {
            "/usr/bin/newuidmap": uid_entry,
            "/usr/bin/newgidmap": gid_entry or {"mode": 0o4755},
        }
    }


@pytest.mark.parametrize(
    ("base", "files", "config", "status", "expected"),
    [
        pytest.param(
            "arch-empty-subuid",
            {},
            {},
            "ok",
            "/usr/bin/newuidmap: setuid root",
            id="setuid helpers",
        ),
        pytest.param(
            "fedora40-filecaps",
            {},
            {},
            "ok",
            "/usr/bin/newuidmap: file capability cap_setuid+ep",
            id="file capabilities (Fedora)",
        ),
        pytest.param(
            "debian12-no-uidmap",
            {},
            {},
            "fail",
            'exec: "newuidmap": executable file not found',
            id="uidmap not installed",
        ),
        pytest.param(
            "arch-empty-subuid",
            {},
            {"env": {"PATH": "/opt/tools/bin"}},
            "fail",
            "newuidmap is installed as /usr/bin/newuidmap, but /usr/bin is not on $PATH (/opt/tools/bin)",
            id="installed but not on PATH, where podman looks",
        ),
        pytest.param(
            "fedora40-filecaps",
            {},
            helpers({"mode": 0o755, "xattrs": None}),
            "fail",
            "/usr/bin/newuidmap is neither setuid root nor has cap_setuid+ep (mode 0755)",
            id="capabilities stripped by an image build",
        ),
        pytest.param(
            "fedora40-filecaps",
            {},
            helpers({"mode": 0o755, "xattrs": {"security.capability": SETGID}}),
            "fail",
            "its file capabilities lack cap_setuid+ep",
            id="the wrong capability",
        ),
        pytest.param(
            "fedora40-filecaps",
            {},
            helpers({"mode": 0o755, "xattrs": {"security.capability": NO_EFFECTIVE}}),
            "fail",
            "neither setuid root nor has cap_setuid+ep",
            id="capability without the effective bit",
        ),
        pytest.param(
            "fedora40-filecaps",
            {},
            helpers({"mode": 0o755, "xattrs": {"security.capability": NAMESPACED}}),
            "fail",
            "namespaced to root uid 1000",
            id="namespaced v3 capabilities do not count on the host",
        ),
        pytest.param(
            "fedora40-filecaps",
            {},
            helpers({"mode": 0o755, "xattrs": {"security.capability": "AAAA"}}),
            "fail",
            "cannot be decoded",
            id="a garbage capability attribute",
        ),
        pytest.param(
            "arch-empty-subuid",
            {},
            helpers({"mode": 0o4755, "uid": 1000}),
            "fail",
            "is owned by uid 1000, not root",
            id="setuid but not owned by root",
        ),
        pytest.param(
            "arch-empty-subuid",
            {
                "/proc/self/mountinfo": MOUNTS
                + "70 22 8:5 / /usr rw,nosuid,relatime shared:60 - ext4 /dev/sda5 rw\n"
            },
            {},
            "fail",
            "is on a nosuid mount (/usr)",
            id="nosuid mount",
        ),
    ],
)
def test_uidmap_helpers(
    tmp_path: Path, *, base: str, files: dict, config: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "uidmap-helpers", base=base, files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_missing_helpers_fix_installs_the_package(tmp_path: Path) -> None:
    finding = check_case(tmp_path, "uidmap-helpers", base="debian12-no-uidmap")
    assert fix_templates(finding) == ["install-packages"]
    assert finding.fix.steps[0].context == {"component": "uidmap"}


def test_helpers_off_path_fix_tells_the_user_to_put_them_on_path(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path, "uidmap-helpers", base="arch-empty-subuid", config={"env": {"PATH": "/opt/bin"}}
    )
    assert fix_templates(finding) == ["note"]
    assert finding.fix.steps[0].part == "user"
    assert "put /usr/bin on your $PATH" in finding.fix.steps[0].summary


def test_unprivileged_helper_fix_reinstalls(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path,
        "uidmap-helpers",
        base="fedora40-filecaps",
        config=helpers({"mode": 0o755, "xattrs": None}),
    )
    assert fix_templates(finding) == ["reinstall-uidmap"]


@pytest.mark.parametrize(
    ("raw", "revision", "effective", "permitted", "rootid"),
    [
        pytest.param(
            "AQAAAoAAAAAAAAAAAAAAAAAAAAA=", 2, True, {CAP_SETUID}, None, id="setcap cap_setuid+ep"
        ),
        pytest.param(
            "AQAAAkAAAAAAAAAAAAAAAAAAAAA=", 2, True, {CAP_SETGID}, None, id="setcap cap_setgid+ep"
        ),
        pytest.param(NO_EFFECTIVE, 2, False, {CAP_SETUID}, None, id="permitted without effective"),
        pytest.param(NAMESPACED, 3, True, {CAP_SETUID}, 1000, id="v3 with a root id"),
        pytest.param(
            base64.b64encode(struct.pack("<III", 0x01000001, 1 << 7, 0)).decode(),
            1,
            True,
            {CAP_SETUID},
            None,
            id="v1",
        ),
    ],
)
def test_parse_vfs_capability(
    raw: str, revision: int, effective: bool, permitted: set, rootid: int | None
) -> None:
    caps = parse_vfs_capability(base64.b64decode(raw))
    assert caps is not None
    assert (caps.revision, caps.effective, set(caps.permitted), caps.rootid) == (
        revision,
        effective,
        permitted,
        rootid,
    )


@pytest.mark.parametrize(
    "raw", [b"", b"\x01\x00", b"\x01\x00\x00\x09" + b"\x00" * 16, b"\x01\x00\x00\x02\x80"]
)
def test_parse_vfs_capability_refuses_garbage(raw: bytes) -> None:
    assert parse_vfs_capability(raw) is None
