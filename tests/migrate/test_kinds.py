"""File kinds: detection by name and content, and extraction with offset maps."""

from __future__ import annotations

import pytest

from rootless.migrate.kinds import detect_kind
from rootless.migrate.kinds.crontab import extract as cron_extract
from rootless.migrate.kinds.makefile import extract as make_extract
from rootless.migrate.regions import Region, RegionBuilder


@pytest.mark.parametrize(
    ("path", "head", "kind"),
    [
        pytest.param("deploy.sh", b"", "shell", id="a .sh file"),
        pytest.param("bin/deploy", b"#!/bin/bash\n", "shell", id="a bash shebang"),
        pytest.param("bin/run", b"#!/usr/bin/env sh\n", "shell", id="an env sh shebang"),
        pytest.param("bin/run", b"#!/usr/bin/env -S bash -e\n", "shell", id="env -S bash"),
        pytest.param("home/.bashrc", b"", "rc", id="bashrc"),
        pytest.param("aliases/available/docker.aliases.bash", b"", "rc", id="bash-it aliases"),
        pytest.param("Makefile", b"", "makefile", id="Makefile"),
        pytest.param("build/rules.mk", b"", "makefile", id=".mk"),
        pytest.param("etc/cron.d/prune", b"", "system-crontab", id="cron.d"),
        pytest.param("backup.cron", b"", "crontab", id=".cron"),
        pytest.param(".env", b"", "env", id=".env"),
        pytest.param("prod.env", b"", "env", id="prod.env"),
        pytest.param(".env.production", b"", "env", id=".env.production"),
        pytest.param("docker-compose.yml", b"", "compose", id="docker-compose.yml"),
        pytest.param("compose.yaml", b"", "compose", id="compose.yaml"),
        pytest.param("docker-compose.prod.yml", b"", "compose", id="docker-compose.prod.yml"),
        pytest.param("app.compose.yml", b"", "compose", id="*.compose.yml"),
        pytest.param("stack.yml", b"# x\nservices:\n  a:\n", "compose", id="services: by content"),
        pytest.param("old.yaml", b"web:\n  image: nginx\n", "compose", id="v1 layout by content"),
        pytest.param("etc/redis.service", b"", "systemd", id="a .service unit"),
        pytest.param("worker@.service", b"", "systemd", id="a template unit"),
        pytest.param("Dockerfile", b"FROM alpine", "dockerfile", id="Dockerfile"),
        pytest.param("Containerfile.dev", b"", "dockerfile", id="Containerfile.dev"),
        pytest.param(".github/workflows/ci.yml", b"", "github-actions", id="a workflow"),
        pytest.param(
            "act/action.yml",
            b"runs:\n  using: composite\n",
            "github-actions",
            id="a composite action",
        ),
        pytest.param(
            ".gitlab-ci.yml",
            b"services:\n",
            "gitlab-ci",
            id="GitLab CI (before compose by content)",
        ),
        pytest.param("Jenkinsfile", b"", "jenkinsfile", id="Jenkinsfile"),
        pytest.param(
            ".devcontainer/devcontainer.json", b"", "devcontainer", id="devcontainer.json"
        ),
    ],
)
def test_detected(path, head, kind):
    found = detect_kind(path, head)
    assert found is not None
    assert found.id == kind


@pytest.mark.parametrize(
    ("path", "head"),
    [
        pytest.param("app.py", b"#!/usr/bin/python3\n", id="python"),
        pytest.param("README.md", b"docker run x", id="markdown"),
        pytest.param("bin/tool", b"\x7fELF", id="an ELF binary"),
        pytest.param("bin/run", b"#!/usr/bin/perl\n", id="a perl shebang"),
        pytest.param(".envrc.bak", b"", id="a backup file"),
        pytest.param(
            "config.yml", b"app:\n  services:\n    a: 1\n", id="YAML with a nested services key"
        ),
        pytest.param("values.yaml", b"image:\n  repository: nginx\n", id="a helm values file"),
        pytest.param("workflows/ci.yml", b"jobs:\n", id="workflows outside .github"),
        pytest.param("devcontainer.json", b"{}", id="devcontainer.json outside .devcontainer"),
        pytest.param("redis.container", b"[Container]\n", id="a Quadlet file (already podman)"),
    ],
)
def test_not_ours(path, head):
    assert detect_kind(path, head) is None


def test_region_maps_verbatim_and_synthetic_pieces():
    host = b"\tdocker run -u $$(id -u) x\n"
    b = RegionBuilder(host)
    b.substitute(0, 1, b"")
    b.copy(1, 15)
    b.substitute(15, 17, b"$")
    b.copy(17, len(host))
    r = b.build(origin="test", encoder=lambda t, p: t.replace("$", "$$"))
    assert r.source == b"docker run -u $(id -u) x\n"
    assert r.host_span(0, 6) == (1, 7)  # docker
    assert r.host_span(14, 22) == (15, 24)  # $(id -u) including the synthetic $
    assert r.host_span(15, 22) == (17, 24)  # starts right after the synthetic piece
    assert r.host_span(14, 14) == (15, 15)  # an insert before the synthetic piece
    assert r.encode("${X}", 0) == "$${X}"


def test_region_refuses_to_cut_a_synthetic_piece():
    host = b'a\\"b'
    b = RegionBuilder(host)
    b.copy(0, 1)
    b.substitute(1, 3, b'"')
    b.copy(3, 4)
    r = b.build(origin="test")
    assert r.source == b'a"b'
    assert r.host_span(0, 3) == (0, 4)
    assert r.host_span(0, 2) == (0, 3)
    assert r.host_point(2) == 3


def test_nested_region_maps_through_its_parent():
    outer = Region.whole(b"alias d='docker ps'\n")
    from rootless.migrate.embedded import unquote_region
    from rootless.migrate.shell import Word

    w = Word(6, 19, "d='docker ps'", "d=docker ps")
    inner = unquote_region(outer, w, 2, origin="alias body")
    assert inner is not None
    assert inner.source == b"docker ps"
    assert inner.host_span(0, 6) == (9, 15)
    assert inner.encode("it's", 0) == "it'\\''s"


def test_makefile_recipe_regions():
    data = b"X ?= docker\n.PHONY: a\na:\n\t@$(X) run \\\n\t  -v $$PWD:/s $(shell id -u) img\n\n# c\nb:\n\t-docker ps\n"
    ext = make_extract(data)
    assert ext.variables == {"X": "docker"}
    assert [a.name for a in ext.assignments] == ["X"]
    sources = [r.source for r in ext.regions]
    assert sources == [b"${X} run \\\n  -v $PWD:/s ${_make_expr} img\n", b"docker ps\n"]
    docker = ext.regions[1]
    s = docker.host_span(0, 6)
    assert s is not None
    assert data[s[0] : s[1]] == b"docker"


def test_crontab_command_parts():
    data = b"A=1\n0 1 * * * docker ps -f x=\\%y % stdin docker\n@daily docker images\n"
    ext = cron_extract(data)
    assert [a.name for a in ext.assignments] == ["A"]
    assert [r.source for r in ext.regions] == [b"docker ps -f x=%y ", b"docker images"]
    assert ext.regions[0].encode("100%", 0) == "100\\%"
