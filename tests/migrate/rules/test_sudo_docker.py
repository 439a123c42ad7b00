"""sudo-docker: sudo goes, unless the command needs root (then it stays with a warning)."""

from __future__ import annotations

import pytest

RULE = "sudo-docker"

FIXES = [
    pytest.param("sudo docker ps\n", "docker ps\n", id="plain sudo"),
    pytest.param("sudo -E docker run -d app\n", "docker run -d app\n", id="sudo with -E"),
    pytest.param("sudo -n -E docker images\n", "docker images\n", id="sudo with several flags"),
    pytest.param(
        "sudo docker run -p 8080:80 nginx\n",
        "docker run -p 8080:80 nginx\n",
        id="an unprivileged port",
    ),
    pytest.param("sudo \\\n  docker ps\n", "docker ps\n", id="sudo on its own continued line"),
    pytest.param("x=$(sudo docker ps -q)\n", "x=$(docker ps -q)\n", id="inside a substitution"),
    pytest.param("sudo podman ps\n", "podman ps\n", id="sudo podman too"),
]

WARNS = [
    pytest.param("sudo docker run -p 80:80 nginx\n", "host port 80", id="a privileged port"),
    pytest.param("sudo docker run --privileged app\n", "--privileged", id="privileged"),
    pytest.param("sudo docker run --pid=host app\n", "--pid=host", id="the host pid namespace"),
    pytest.param("sudo docker run --device /dev/kvm app\n", "--device", id="a host device"),
    pytest.param(
        "sudo docker run -v /etc/app:/etc/app app\n", "mounts /etc/app", id="a system path"
    ),
    pytest.param("sudo -u deploy docker ps\n", "another user", id="sudo to another user"),
]

NOOPS = [
    pytest.param("docker ps\n", id="no sudo"),
    pytest.param("sudo apt-get install -y podman\n", id="sudo for something else"),
    pytest.param("echo sudo docker ps\n", id="echoed text"),
    pytest.param("# sudo docker ps\n", id="a comment"),
    pytest.param("sudo systemctl restart app\n", id="sudo systemctl"),
    pytest.param("ssh host sudo docker ps\n", id="remote sudo docker"),
    pytest.param("sudo tee /etc/docker/daemon.json <f\n", id="a docker path as an argument"),
    pytest.param("sudo -v\n", id="sudo alone"),
    pytest.param("sudo $CMD ps\n", id="an unknown variable command"),
    pytest.param("sudo\n", id="bare sudo"),
    pytest.param("sudo -i\n", id="a root shell"),
    pytest.param('sudo sh -c "echo docker"\n', id="sudo sh -c with an echo"),
    pytest.param("sudo -k\n", id="sudo -k"),
]


@pytest.mark.parametrize(("src", "expected"), FIXES)
def test_fixes(rule_check, src, expected):
    rule_check.fixes(RULE, src, expected)


@pytest.mark.parametrize(("src", "contains"), WARNS)
def test_warns(rule_check, src, contains):
    rule_check.warns(RULE, src, contains)


@pytest.mark.parametrize("src", NOOPS)
def test_noop(rule_check, src):
    rule_check.noop(RULE, src)
