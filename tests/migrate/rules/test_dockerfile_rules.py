"""Dockerfile rules: FROM images qualified (stages, scratch and ARG defaults respected),
buildah differences warned about, RUN bodies never touched."""

from __future__ import annotations

import pytest

from rootless.migrate import fix_text

D = "Dockerfile"

FIXES = [
    pytest.param(
        "short-image-name",
        "FROM alpine\n",
        "FROM docker.io/library/alpine\n",
        id="FROM a library image",
    ),
    pytest.param(
        "short-image-name",
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n",
        "FROM --platform=$BUILDPLATFORM docker.io/library/golang:1.22 AS build\n",
        id="FROM with --platform and a stage name",
    ),
    pytest.param(
        "short-image-name",
        "ARG BASE=python:3.12-slim\nFROM ${BASE}\n",
        "ARG BASE=docker.io/library/python:3.12-slim\nFROM ${BASE}\n",
        id="FROM ${ARG}: the global ARG default is qualified",
    ),
    pytest.param(
        "short-image-name",
        'ARG BASE="bitnami/redis:7"\nFROM $BASE AS r\n',
        'ARG BASE="docker.io/bitnami/redis:7"\nFROM $BASE AS r\n',
        id="FROM $ARG with a quoted default",
    ),
    pytest.param(
        "short-image-name",
        "FROM node:20 AS build\nRUN npm ci\nFROM build AS test\nFROM nginx:1.25\nCOPY --from=build /app /usr/share/nginx\n",
        "FROM docker.io/library/node:20 AS build\nRUN npm ci\nFROM build AS test\nFROM docker.io/library/nginx:1.25\nCOPY --from=build /app /usr/share/nginx\n",
        id="multi-stage: stage names are not images",
    ),
    pytest.param(
        "short-image-name",
        "FROM \\\n    debian:12\n",
        "FROM \\\n    docker.io/library/debian:12\n",
        id="FROM continued on the next line",
    ),
]

WARNS = [
    pytest.param(
        "buildah-differences",
        "# syntax=docker/dockerfile:1\nFROM a/b\n",
        "BuildKit frontend",
        id="syntax directive",
    ),
    pytest.param(
        "buildah-differences",
        "FROM a/b\nHEALTHCHECK CMD true\n",
        "--format docker",
        id="HEALTHCHECK",
    ),
    pytest.param(
        "buildah-differences", "FROM a/b\nONBUILD RUN make\n", "--format docker", id="ONBUILD"
    ),
    pytest.param(
        "buildah-differences", "FROM a/b\nCOPY --link . /src\n", "podman 5.6", id="COPY --link"
    ),
    pytest.param(
        "buildah-differences", "FROM a/b\nRUN <<EOF\necho hi\nEOF\n", "heredocs", id="RUN heredoc"
    ),
    pytest.param(
        "buildah-differences",
        "FROM a/b\nRUN --mount=type=cache,target=/root/.cache,sharing=locked pip install .\n",
        "sharing",
        id="cache mount with sharing=",
    ),
]

NOOPS = [
    pytest.param("short-image-name", "FROM docker.io/library/alpine\n", id="already qualified"),
    pytest.param("short-image-name", "FROM scratch\n", id="scratch"),
    pytest.param("short-image-name", "FROM quay.io/podman/stable AS p\n", id="another registry"),
    pytest.param("short-image-name", "FROM $BASE\n", id="an ARG without a default"),
    pytest.param("short-image-name", "FROM localhost/app\n", id="a local image"),
    pytest.param(
        "short-image-name",
        "FROM docker.io/library/alpine\nRUN docker run nginx\n",
        id="RUN bodies are never touched",
    ),
    pytest.param(
        "short-image-name", "FROM docker.io/library/alpine\n# FROM nginx\n", id="a comment"
    ),
    pytest.param(
        "short-image-name",
        "FROM docker.io/library/alpine\nRUN <<EOF\nFROM nginx\nEOF\n",
        id="FROM inside a heredoc body",
    ),
    pytest.param(
        "short-image-name",
        "ARG X=nginx\nFROM docker.io/library/alpine\n",
        id="an ARG not used by FROM stays",
    ),
    pytest.param("buildah-differences", "FROM a/b\nRUN make\n", id="plain RUN"),
    pytest.param("buildah-differences", "FROM a/b\nCOPY --from=build /a /b\n", id="COPY --from"),
    pytest.param(
        "buildah-differences", "FROM a/b\nRUN echo HEALTHCHECK\n", id="HEALTHCHECK as a word"
    ),
    pytest.param(
        "buildah-differences",
        "FROM a/b\n# syntax=docker/dockerfile:1\n",
        id="syntax after the first instruction is a comment",
    ),
]


@pytest.mark.parametrize(("rule", "src", "expected"), FIXES)
def test_fixes(rule_check, rule, src, expected):
    rule_check.fixes(rule, src, expected, path=D)


@pytest.mark.parametrize(("rule", "src", "contains"), WARNS)
def test_warns(rule_check, rule, src, contains):
    rule_check.warns(rule, src, contains, path=D)


@pytest.mark.parametrize(("rule", "src"), NOOPS)
def test_noop(rule_check, rule, src):
    rule_check.noop(rule, src, path=D)


@pytest.mark.parametrize(
    "name", ["Containerfile", "Dockerfile.prod", "api.Dockerfile", "Containerfile.arm64"]
)
def test_dockerfile_names(name):
    assert fix_text("FROM alpine\n", path=name).kind == "dockerfile"


def test_files_without_docker_or_podman_are_still_checked():
    # the prefilter skips files that never name an engine: Dockerfiles are exempt
    assert fix_text("FROM ubuntu:24.04\n", path=D).changed


def test_a_variable_tag_still_gets_the_registry(rule_check):
    rule_check.fixes(
        "short-image-name",
        "ARG V=20\nFROM node:${V}-alpine AS a\n",
        "ARG V=20\nFROM docker.io/library/node:${V}-alpine AS a\n",
        path=D,
    )
    rule_check.noop("short-image-name", "FROM ${REGISTRY}/node:20\n", path=D)
