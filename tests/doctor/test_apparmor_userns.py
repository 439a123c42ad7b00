"""`apparmor-userns`: Ubuntu's restriction, judged against the *real* path of podman."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import HOSTS, check_case, fix_templates, text_of

from rootless.doctor.checks.apparmor_userns import (
    aa_glob_to_regex,
    attachment_matches,
    parse_apparmor_profiles,
)

BASE = "ubuntu2404-apparmor-local-podman"
PODMAN_PROFILE = (HOSTS / BASE / "root/etc/apparmor.d/podman").read_text()
AT_USR_BIN = {
    "files": {"/usr/local/bin/podman": None, "/usr/bin/podman": "#!/bin/sh\n"},
    "config": {
        "commands": [{"argv": ["/usr/bin/podman", "--version"], "stdout": "podman version 4.9.3\n"}]
    },
}


@pytest.mark.parametrize(
    ("files", "config", "status", "expected"),
    [
        pytest.param(
            {},
            {},
            "fail",
            "AppArmor blocks user namespaces for podman at /usr/local/bin/podman",
            id="podman under /usr/local/bin is not covered",
        ),
        pytest.param(
            AT_USR_BIN["files"],
            AT_USR_BIN["config"],
            "ok",
            "podman at /usr/bin/podman is allowed by profile podman (/etc/apparmor.d/podman)",
            id="Ubuntu's profile covers /usr/bin/podman",
        ),
        pytest.param(
            {
                "/etc/apparmor.d/podman": PODMAN_PROFILE.replace(
                    "/usr/bin/podman", "/usr/{bin,local/bin}/podman"
                )
            },
            {},
            "ok",
            "allowed by profile podman",
            id="a profile with an alternation covers /usr/local/bin",
        ),
        pytest.param(
            {
                "/etc/apparmor.d/podman": PODMAN_PROFILE.replace(
                    "/usr/bin/podman", "/usr/local/bin/podman"
                ).replace("  userns,\n", "")
            },
            {},
            "fail",
            "no profile with `userns,` attaches to that path",
            id="a profile without the userns rule does not help",
        ),
        pytest.param(
            {
                "/etc/apparmor.d/podman": PODMAN_PROFILE.replace(
                    "/usr/bin/podman", "/usr/local/bin/podman"
                ),
                "/etc/apparmor.d/disable/podman": "",
            },
            {},
            "fail",
            "AppArmor blocks user namespaces",
            id="a disabled profile does not count",
        ),
        pytest.param(
            {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "0\n"},
            {},
            "ok",
            "= 0: AppArmor does not restrict user namespaces",
            id="restriction switched off",
        ),
        pytest.param(
            {
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "0\n",
                "/usr/lib/sysctl.d/10-apparmor.conf": "kernel.apparmor_restrict_unprivileged_userns = 1\n",
            },
            {},
            "warn",
            "the restriction returns at the next boot",
            id="switched off by hand only",
        ),
        pytest.param(
            {"/usr/local/bin/podman": None},
            {
                "files": {"/usr/bin/podman": {"link": "/opt/podman/bin/podman"}},
                "commands": [
                    {"argv": ["/usr/bin/podman", "--version"], "stdout": "podman version 5.2.2\n"}
                ],
            },
            "fail",
            "for podman at /opt/podman/bin/podman",
            id="the real path behind a symlink counts",
        ),
    ],
)
def test_apparmor_userns(
    tmp_path: Path, files: dict, config: dict, status: str, expected: str
) -> None:
    if "/usr/bin/podman" in config.get("files", {}):
        files = {**files, "/opt/podman/bin/podman": "#!/bin/sh\n", "/usr/bin/podman": "#!/bin/sh\n"}
    finding = check_case(tmp_path, "apparmor-userns", base=BASE, files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)


def test_fix_writes_a_narrow_profile_for_the_real_path(tmp_path: Path) -> None:
    finding = check_case(tmp_path, "apparmor-userns", base=BASE)
    assert fix_templates(finding) == ["apparmor-profile"]
    assert finding.fix.steps[0].context == {
        "path": "/usr/local/bin/podman",
        "name": "rootless-usr.local.bin.podman",
    }


def test_rootlesskit_without_profile_warns(tmp_path: Path) -> None:
    finding = check_case(
        tmp_path,
        "apparmor-userns",
        base=BASE,
        files={
            "/usr/local/bin/podman": None,
            "/usr/bin/podman": "#!/bin/sh\n",
            "/usr/local/bin/rootlesskit": "#!/bin/sh\n",
        },
        config={
            "commands": [
                {"argv": ["/usr/bin/podman", "--version"], "stdout": "podman version 4.9.3\n"}
            ],
            "files": {"/usr/local/bin/rootlesskit": {"mode": 0o755}},
        },
    )
    assert finding.status.value == "warn"
    assert "rootlesskit (Docker rootless) at /usr/local/bin/rootlesskit" in finding.summary


def test_not_applicable_without_the_knob(tmp_path: Path) -> None:
    assert check_case(tmp_path, "apparmor-userns").status.value == "skip"


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        pytest.param("/usr/bin/podman", "/usr/bin/podman", True, id="exact path"),
        pytest.param(
            "/usr/{bin,local/bin}/podman", "/usr/local/bin/podman", True, id="alternation"
        ),
        pytest.param("/usr/bin/*", "/usr/bin/podman", True, id="star within a directory"),
        pytest.param("/usr/*", "/usr/bin/podman", False, id="star does not cross slashes"),
        pytest.param("/opt/**", "/opt/podman/bin/podman", True, id="double star crosses slashes"),
        pytest.param("/usr/bin/podma[nm]", "/usr/bin/podman", True, id="character class"),
        pytest.param("@{bin}/podman", "/usr/bin/podman", False, id="variables are not trusted"),
    ],
)
def test_attachment_globs(pattern: str, path: str, matches: bool) -> None:
    assert attachment_matches(pattern, path) is matches
    assert aa_glob_to_regex(pattern)


def test_profile_parser_reads_names_attachments_and_userns() -> None:
    text = PODMAN_PROFILE + '\n"/opt/my tools/x" {\n  # comment\n  file,\n}\n'
    profiles = parse_apparmor_profiles(text, "/etc/apparmor.d/podman")
    assert [(p.name, p.attachment, p.userns, p.unconfined) for p in profiles] == [
        ("podman", "/usr/bin/podman", True, True),
        ("/opt/my tools/x", "/opt/my tools/x", False, False),
    ]
