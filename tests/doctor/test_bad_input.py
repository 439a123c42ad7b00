"""Binary, huge, unreadable, undecodable or malformed host files give a clear finding that names
the file - never a crash, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import variant

from rootless.doctor import diagnose

FILES = [
    "/etc/subuid",
    "/etc/subgid",
    "/etc/os-release",
    "/etc/passwd",
    "/etc/group",
    "/proc/self/mountinfo",
    "/proc/sys/user/max_user_namespaces",
    "/proc/sys/net/ipv4/ip_unprivileged_port_start",
    "/etc/sysctl.d/90-rootless-ports.conf",
    "/etc/containers/registries.conf",
    "/etc/containers/registries.conf.d/000-shortnames.conf",
    "/run/user/1000/libpod/tmp/pause.pid",
    "/proc/4242/uid_map",
    "/sys/fs/cgroup/cgroup.controllers",
]
EXTRA = [
    "/etc/containers/storage.conf",
    "/home/alice/.config/containers/containers.conf",
    "/etc/nsswitch.conf",
    "/home/alice/.docker/config.json",
]
BAD = {
    "binary": b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
    "undecodable": b"alice:100000:65536\n\xff\xfe\x00broken\n".replace(b"\x00", b""),
    "huge": None,  # 5 MiB, built in the test
    "malformed": b"}{ this is not what this file should contain \x1b[31m ;;; = = =\n:::\n",
}


def _content(kind: str) -> bytes:
    if kind == "huge":
        return b"alice:100000:65536\n" * (5 * 1024 * 1024 // 19 + 1)
    data = BAD[kind]
    assert data is not None
    return data


def _assert_clean(findings: list, path: str, kind: str) -> None:
    for f in findings:
        assert "crashed" not in f.summary, (f.id, f.summary)
        assert not any("Traceback" in d for d in f.details), (f.id, f.details)
    if kind in ("binary", "huge", "undecodable"):
        reason = {
            "binary": "binary data",
            "huge": "larger than 4 MiB",
            "undecodable": "not valid UTF-8",
        }[kind]
        mentioned = [
            f
            for f in findings
            if path in "\n".join([f.summary, *f.details])
            and reason in "\n".join([f.summary, *f.details])
        ]
        assert mentioned or path in {
            "/etc/os-release",
            "/etc/passwd",
            "/etc/group",
            "/etc/nsswitch.conf",
        }, f"no finding says that {path} {reason}"


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("path", FILES + EXTRA)
def test_bad_file_gives_a_clear_finding(tmp_path: Path, path: str, kind: str) -> None:
    host = variant(tmp_path, "rhel9-ok", files={path: _content(kind)})
    findings = diagnose(host).findings
    _assert_clean(findings, path, kind)


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("path", ["/proc/cmdline", "/etc/default/grub", "/boot/grub2/grub.cfg"])
def test_bad_boot_files_on_centos7(tmp_path: Path, path: str, kind: str) -> None:
    host = variant(tmp_path, "centos7-userns-off", files={path: _content(kind)})
    _assert_clean(diagnose(host).findings, path, kind)


@pytest.mark.parametrize("path", FILES + EXTRA)
def test_unreadable_file_gives_a_clear_finding(tmp_path: Path, path: str) -> None:
    host = variant(
        tmp_path, "rhel9-ok", files={path: "x\n"}, config={"files": {path: {"unreadable": True}}}
    )
    findings = diagnose(host).findings
    _assert_clean(findings, path, "unreadable")


@pytest.mark.parametrize(
    ("path", "check_id", "text"),
    [
        pytest.param(
            "/etc/subuid",
            "subid-ranges",
            "/etc/subuid is not readable (permission denied)",
            id="subuid",
        ),
        pytest.param(
            "/proc/self/mountinfo",
            "shared-root-mount",
            "cannot judge this: /proc/self/mountinfo is not readable",
            id="mountinfo",
        ),
        pytest.param(
            "/etc/containers/registries.conf",
            "short-name-resolution",
            "podman cannot read its registries configuration: /etc/containers/registries.conf is not readable",
            id="registries.conf",
        ),
        pytest.param(
            "/etc/sysctl.d/90-rootless-ports.conf",
            "unprivileged-ports",
            "cannot read the sysctl configuration",
            id="a sysctl drop-in",
        ),
    ],
)
def test_unreadable_file_is_named_by_the_check_that_needs_it(
    tmp_path: Path, path: str, check_id: str, text: str
) -> None:
    host = variant(
        tmp_path, "rhel9-ok", files={path: "x\n"}, config={"files": {path: {"unreadable": True}}}
    )
    finding = next(f for f in diagnose(host, [check_id]).findings if f.id == check_id)
    assert finding.status.value in ("fail", "error", "warn")
    assert text in "\n".join([finding.summary, *finding.details])
