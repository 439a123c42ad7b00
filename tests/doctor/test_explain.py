"""--explain: real error strings users paste (doctor.md §2) map to the checks that explain them."""

from __future__ import annotations

import pytest

from rootless.doctor import explain
from rootless.doctor.explain import INDEX, matches
from rootless.doctor.registry import REGISTRY, all_checks


@pytest.mark.parametrize(
    ("pasted", "first"),
    [
        pytest.param(
            "cannot clone: Invalid argument\nuser namespaces are not enabled in /proc/sys/user/max_user_namespaces",
            "user-namespaces",
            id="CentOS 7 clone failure",
        ),
        pytest.param(
            "Error: cannot clone: No space left on device",
            "user-namespaces",
            id="namespace limit 0",
        ),
        pytest.param(
            "Error during unshare(CLONE_NEWUSER): Operation not permitted",
            "user-namespaces",
            id="Debian userns clone off",
        ),
        pytest.param(
            "cannot clone: Permission denied\nError: cannot re-exec process",
            "apparmor-userns",
            id="Ubuntu AppArmor",
        ),
        pytest.param(
            'command required for rootless mode with multiple IDs: exec: "newuidmap": executable file not found in $PATH',
            "uidmap-helpers",
            id="helpers missing",
        ),
        pytest.param(
            'newuidmap: write to uid_map failed: Operation not permitted\nError: cannot set up namespace using "/usr/bin/newuidmap": should have setuid or have filecaps setuid: exit status 1',
            "uidmap-helpers",
            id="helpers unprivileged",
        ),
        pytest.param(
            'invalid configuration: the specified mapping 1000:65536 in "/etc/subuid" includes the user UID',
            "subid-ranges",
            id="own uid in range",
        ),
        pytest.param(
            'cannot find UID/GID for user bob: no subuid ranges found for user "bob" in /etc/subuid - check rootless mode in man pages.',
            "subid-ranges",
            id="no sub-ids",
        ),
        pytest.param(
            'potentially insufficient UIDs or GIDs available in user namespace (requested 0:42 for /etc/gshadow): Check /etc/subuid and /etc/subgid if configured locally and run "podman system migrate": lchown /etc/gshadow: invalid argument',
            "subid-ranges",
            id="pull fails on ids",
        ),
        pytest.param(
            "error creating libpod runtime: there might not be enough IDs available in the namespace",
            "subid-ranges",
            id="old podman on ids",
        ),
        pytest.param(
            'XDG_RUNTIME_DIR directory "/run/user/0" is not owned by the current user',
            "runtime-dir",
            id="su session",
        ),
        pytest.param(
            "The cgroupv2 manager is set to systemd but there is no systemd user session available",
            "user-session-bus",
            id="no user bus",
        ),
        pytest.param("Error: Cgroups v1 not supported", "cgroup-v2", id="podman 6 on v1"),
        pytest.param(
            "Error: OCI runtime error: crun: the requested cgroup controller `cpu` is not available",
            "cgroup-delegation",
            id="controller not delegated",
        ),
        pytest.param(
            "crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2",
            "oci-runtime",
            id="crun on hybrid",
        ),
        pytest.param(
            "'overlay' is not supported over zfs, a mount_program is required: backing file system is unsupported for this graph driver",
            "storage-filesystem",
            id="overlay on zfs",
        ),
        pytest.param(
            'WARN[0000] "/" is not a shared mount, this could cause issues or missing mounts with rootless containers',
            "shared-root-mount",
            id="private root",
        ),
        pytest.param(
            'could not find pasta, the network namespace can\'t be configured: exec: "pasta": executable file not found in $PATH',
            "network-helper",
            id="no pasta",
        ),
        pytest.param(
            "rootlessport cannot expose privileged port 80, you can add 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently 1024)",
            "unprivileged-ports",
            id="low port",
        ),
        pytest.param(
            'Error: short-name "nginx" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
            "short-name-resolution",
            id="short names",
        ),
        pytest.param(
            'database graph driver "vfs" does not match our graph driver "overlay"',
            "storage-driver",
            id="driver drift",
        ),
        pytest.param(
            "current system boot ID differs from cached boot ID; an unhandled reboot has occurred",
            "runtime-dir",
            id="boot id",
        ),
        pytest.param(
            "[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: operation not permitted",
            "user-namespaces",
            id="rootlesskit clone",
        ),
    ],
)
def test_known_errors(pasted: str, first: str) -> None:
    ids = explain(pasted)
    assert ids
    assert ids[0] == first


def test_unknown_text_matches_nothing() -> None:
    assert explain("the container exited with status 0") == []
    assert matches("") == []


def test_every_index_entry_names_real_checks_and_compiles() -> None:
    all_checks()
    for known in INDEX:
        assert set(known.checks) <= set(REGISTRY), known.pattern
        assert known.search("") is None or known.pattern == ""


def test_matches_report_the_fragment_found() -> None:
    (m, *_) = matches("blah\nnewuidmap: write to uid_map failed: Operation not permitted\n")
    assert m.fragment == "write to uid_map failed: Operation not permitted"
    assert m.checks[0] == "uidmap-helpers"
