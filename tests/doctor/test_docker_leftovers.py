"""`docker-socket`, `docker-group`, `docker-host-env`."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

GROUP = (Path(__file__).parent / "hosts/rhel9-ok/root/etc/group").read_text()


@pytest.mark.parametrize(
    ("files", "config", "status", "expected"),
    [
        pytest.param({}, {}, "ok", "no rootful Docker socket is reachable", id="no socket"),
        pytest.param(
            {"/var/run/docker.sock": ""},
            {
                "files": {"/var/run/docker.sock": {"mode": 0o660, "gid": 998}},
                "user": {"groups": [998]},
            },
            "warn",
            "/var/run/docker.sock is usable by alice",
            id="socket usable through group docker",
        ),
        pytest.param(
            {"/var/run/docker.sock": ""},
            {"files": {"/var/run/docker.sock": {"mode": 0o660, "gid": 998}}},
            "ok",
            "/var/run/docker.sock exists but alice cannot use it",
            id="socket out of reach",
        ),
    ],
)
def test_docker_socket(
    tmp_path: Path, files: dict, config: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "docker-socket", files=files, config=config)
    assert finding.status.value == status
    assert expected in text_of(finding)
    if status == "warn":
        assert fix_templates(finding) == ["disable-docker"]


@pytest.mark.parametrize(
    ("group", "status", "expected"),
    [
        pytest.param(GROUP, "ok", "there is no docker group", id="no docker group"),
        pytest.param(
            GROUP + "docker:x:998:bob\n", "ok", "alice is not in group docker", id="someone else is"
        ),
        pytest.param(
            GROUP + "docker:x:998:bob,alice\n",
            "warn",
            "alice is in group docker (gid 998)",
            id="alice is",
        ),
    ],
)
def test_docker_group(tmp_path: Path, group: str, status: str, expected: str) -> None:
    finding = check_case(tmp_path, "docker-group", files={"/etc/group": group})
    assert finding.status.value == status
    assert expected in finding.summary
    if status == "warn":
        assert finding.fix.steps[0].context == {"user": "alice"}


@pytest.mark.parametrize(
    ("files", "env", "status", "expected"),
    [
        pytest.param({}, {}, "ok", "DOCKER_HOST is not set", id="nothing set"),
        pytest.param(
            {},
            {"DOCKER_HOST": "unix:///var/run/docker.sock"},
            "warn",
            "points at a Docker daemon, not podman",
            id="old daemon",
        ),
        pytest.param(
            {},
            {"DOCKER_HOST": "unix:///run/user/1000/podman/podman.sock"},
            "ok",
            "points at podman",
            id="podman's socket",
        ),
        pytest.param(
            {},
            {"DOCKER_CONTEXT": "rootful"},
            "warn",
            "DOCKER_CONTEXT=rootful",
            id="a docker context",
        ),
        pytest.param(
            {"/home/alice/.docker/config.json": '{"currentContext": "remote"}'},
            {},
            "warn",
            "selects the Docker context 'remote'",
            id="context in config.json",
        ),
        pytest.param(
            {"/home/alice/.docker/config.json": "{not json"},
            {},
            "ok",
            "is not readable JSON",
            id="broken config.json is only noted",
        ),
    ],
)
def test_docker_host_env(
    tmp_path: Path, files: dict, env: dict, status: str, expected: str
) -> None:
    finding = check_case(tmp_path, "docker-host-env", files=files, config={"env": env})
    assert finding.status.value == status
    assert expected in text_of(finding)
