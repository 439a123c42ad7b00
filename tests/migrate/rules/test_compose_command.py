"""compose-command: docker-compose becomes podman compose (or podman-compose)."""

from __future__ import annotations

import pytest

RULE = "compose-command"

FIXES = [
    pytest.param("docker-compose up -d\n", "podman compose up -d\n", id="docker-compose up"),
    pytest.param(
        "docker-compose -f docker-compose.yml down\n",
        "podman compose -f docker-compose.yml down\n",
        id="the -f file name stays",
    ),
    pytest.param(
        "/usr/local/bin/docker-compose pull\n", "podman compose pull\n", id="an absolute path"
    ),
    pytest.param(
        "sudo docker-compose logs\n",
        "sudo podman compose logs\n",
        id="after sudo (sudo is another rule)",
    ),
]

NOOPS = [
    pytest.param(
        "docker compose up -d\n", id="the docker compose plugin form (docker-command's job)"
    ),
    pytest.param("vi docker-compose.yml\n", id="a file name"),
    pytest.param("echo docker-compose\n", id="an argument"),
    pytest.param("podman-compose up\n", id="already podman-compose"),
    pytest.param("# docker-compose up\n", id="a comment"),
]


@pytest.mark.parametrize(("src", "expected"), FIXES)
def test_fixes(rule_check, src, expected):
    rule_check.fixes(RULE, src, expected)


@pytest.mark.parametrize("src", NOOPS)
def test_noop(rule_check, src):
    rule_check.noop(RULE, src)


def test_target_podman_compose_is_configurable(rule_check):
    rule_check.fixes(
        RULE, "docker-compose up\n", "podman-compose up\n", compose_target="podman-compose"
    )


def test_in_an_unquoted_alias_the_two_words_are_quoted(rule_check):
    rule_check.fixes(RULE, "alias dc=docker-compose\n", "alias dc='podman compose'\n")
