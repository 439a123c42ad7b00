"""engine-variable: variables that hold the engine name default to podman."""

from __future__ import annotations

import pytest

RULE = "engine-variable"

FIXES = [
    pytest.param("DOCKER=docker\n$DOCKER ps\n", "DOCKER=podman\n$DOCKER ps\n", id="DOCKER=docker"),
    pytest.param(
        'CONTAINER_ENGINE="docker"\n',
        'CONTAINER_ENGINE="podman"\n',
        id="quoted value keeps its quotes",
    ),
    pytest.param(
        "DOCKER_CMD=${DOCKER_CMD:-docker}\n",
        "DOCKER_CMD=${DOCKER_CMD:-podman}\n",
        id="a default inside an expansion",
    ),
    pytest.param("export ENGINE=docker\n", "export ENGINE=podman\n", id="an exported variable"),
    pytest.param(
        "f() { local DOCKER_BIN=/usr/bin/docker; }\n",
        "f() { local DOCKER_BIN=/usr/bin/podman; }\n",
        id="a local variable with a path",
    ),
    pytest.param(
        "${DOCKER:-docker} ps\n", "${DOCKER:-podman} ps\n", id="a default in the command word"
    ),
]

FIXES.append(
    pytest.param(
        ": ${DOCKER_BINARY=docker}\n", ": ${DOCKER_BINARY=podman}\n", id="the colon default idiom"
    )
)

NOOPS = [
    pytest.param("IMAGE=docker\n", id="a variable that is not an engine"),
    pytest.param("DOCKER=podman\n", id="already podman"),
    pytest.param("DOCKER_HOST=tcp://docker:2375\n", id="DOCKER_HOST is another rule"),
    pytest.param("DOCKER=docker-ce\n", id="a package name"),
    pytest.param("DOCKER=$(command -v docker)\n", id="a computed value"),
    pytest.param("echo DOCKER=docker\n", id="echoed text"),
    pytest.param("# DOCKER=docker\n", id="a comment"),
    pytest.param(": ${IMAGE=docker}\n", id="the colon idiom for another variable"),
    pytest.param(": ${DOCKER_HOME=/var/lib/docker}\n", id="the colon idiom with a docker path"),
]


@pytest.mark.parametrize(("src", "expected"), FIXES)
def test_fixes(rule_check, src, expected):
    rule_check.fixes(RULE, src, expected)


@pytest.mark.parametrize("src", NOOPS)
def test_noop(rule_check, src):
    rule_check.noop(RULE, src)


def test_makefile_variable(rule_check):
    rule_check.fixes(
        RULE,
        "DOCKER ?= docker\nbuild:\n\t$(DOCKER) build .\n",
        "DOCKER ?= podman\nbuild:\n\t$(DOCKER) build .\n",
        path="Makefile",
    )


def test_env_file_variable(rule_check):
    rule_check.fixes(RULE, "CONTAINER_ENGINE=docker\n", "CONTAINER_ENGINE=podman\n", path=".env")
