"""engine-probe: probes for the docker binary look for podman."""

from __future__ import annotations

import pytest

RULE = "engine-probe"

FIXES = [
    pytest.param(
        "command -v docker >/dev/null || exit 1\n",
        "command -v podman >/dev/null || exit 1\n",
        id="command -v",
    ),
    pytest.param("which docker\n", "which podman\n", id="which"),
    pytest.param("type docker\n", "type podman\n", id="type"),
    pytest.param("hash docker 2>/dev/null\n", "hash podman 2>/dev/null\n", id="hash"),
    pytest.param(
        "[ -x /usr/bin/docker ] || exit 1\n",
        "[ -x /usr/bin/podman ] || exit 1\n",
        id="test bracket -x",
    ),
    pytest.param(
        "[[ -x /usr/bin/docker ]]\n", "[[ -x /usr/bin/podman ]]\n", id="double bracket -x"
    ),
    pytest.param(
        "test -x /usr/local/bin/docker\n", "test -x /usr/bin/podman\n", id="the test command"
    ),
    pytest.param(
        'if ! command -v "docker"; then exit; fi\n',
        'if ! command -v "podman"; then exit; fi\n',
        id="a quoted name keeps its quotes",
    ),
    pytest.param(
        "x=$(which docker-compose)\n", "x=$(which podman-compose)\n", id="which docker-compose"
    ),
]

NOOPS = [
    pytest.param("command -v podman\n", id="already podman"),
    pytest.param("command -v git\n", id="another tool"),
    pytest.param("[ -f docker-compose.yml ]\n", id="a file test on a compose file"),
    pytest.param("[ -S /var/run/docker.sock ]\n", id="a socket test"),
    pytest.param("which dockerd\n", id="dockerd"),
    pytest.param("echo command -v docker\n", id="echoed text"),
    pytest.param("# which docker\n", id="a comment"),
    pytest.param("[ -x /usr/bin/dockerize ]\n", id="a different binary"),
    pytest.param(
        "if command -v podman; then E=podman; elif command -v docker; then E=docker; fi\n",
        id="a script that supports both engines",
    ),
]


@pytest.mark.parametrize(("src", "expected"), FIXES)
def test_fixes(rule_check, src, expected):
    rule_check.fixes(RULE, src, expected)


@pytest.mark.parametrize("src", NOOPS)
def test_noop(rule_check, src):
    rule_check.noop(RULE, src)
