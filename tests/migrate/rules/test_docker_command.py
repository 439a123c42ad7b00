"""docker-command: the engine word becomes podman; nothing else named docker is touched."""

from __future__ import annotations

import pytest

RULE = "docker-command"

FIXES = [
    pytest.param("docker ps\n", "podman ps\n", id="a plain docker call"),
    pytest.param("/usr/bin/docker ps\n", "/usr/bin/podman ps\n", id="an absolute path"),
    pytest.param("/usr/local/bin/docker ps\n", "/usr/bin/podman ps\n", id="a /usr/local path"),
    pytest.param(
        "x=$(docker images -q app)\n",
        "x=$(podman images -q app)\n",
        id="inside command substitution",
    ),
    pytest.param("echo `docker ps -q`\n", "echo `podman ps -q`\n", id="inside backticks"),
    pytest.param(
        'echo "$(docker ps -q)"\n', 'echo "$(podman ps -q)"\n', id="substitution inside a string"
    ),
    pytest.param("docker ps | grep web\n", "podman ps | grep web\n", id="in a pipeline"),
    pytest.param("f() {\n  docker ps\n}\n", "f() {\n  podman ps\n}\n", id="inside a function"),
    pytest.param("env A=1 docker ps\n", "env A=1 podman ps\n", id="after env"),
    pytest.param(
        "sudo -E env PATH=$PATH docker ps\n",
        "sudo -E env PATH=$PATH podman ps\n",
        id="after sudo env with an expanded value",
    ),
    pytest.param("exec docker run app\n", "exec podman run app\n", id="after exec"),
    pytest.param("nohup docker logs -f x &\n", "nohup podman logs -f x &\n", id="after nohup"),
    pytest.param("time docker pull x\n", "time podman pull x\n", id="after time"),
    pytest.param("timeout 10 docker stop x\n", "timeout 10 podman stop x\n", id="after timeout N"),
    pytest.param(
        "docker ps -q | xargs -r docker rm\n",
        "podman ps -q | xargs -r podman rm\n",
        id="after xargs",
    ),
    pytest.param("command docker ps\n", "command podman ps\n", id="after command"),
    pytest.param(
        "case $1 in\n  up) docker start x ;;\nesac\n",
        "case $1 in\n  up) podman start x ;;\nesac\n",
        id="in a case branch",
    ),
    pytest.param(
        "docker run \\\n  --rm \\\n  app\n",
        "podman run \\\n  --rm \\\n  app\n",
        id="a continued command keeps its layout",
    ),
    pytest.param(
        "docker ps\r\ndocker images\r\n",
        "podman ps\r\npodman images\r\n",
        id="CRLF line endings survive",
    ),
    pytest.param("docker ps", "podman ps", id="no final newline survives"),
    pytest.param(
        "A=1 docker ps # docker comment\n",
        "A=1 podman ps # docker comment\n",
        id="comment after the command is kept",
    ),
]

NOOPS = [
    pytest.param("echo docker\n", id="docker as an argument"),
    pytest.param('echo "docker ps"\n', id="docker inside a double-quoted string"),
    pytest.param("echo 'docker ps'\n", id="docker inside a single-quoted string"),
    pytest.param("# docker ps\n", id="a comment"),
    pytest.param("cat <<EOF\ndocker ps\nEOF\n", id="a heredoc body"),
    pytest.param("cat <<'EOF'\ndocker ps\nEOF\n", id="a quoted heredoc body"),
    pytest.param("ip addr show docker0\n", id="the docker0 bridge name"),
    pytest.param("cp docker-compose.yml /srv/\n", id="a compose file name"),
    pytest.param("cat ~/.docker/config.json\n", id="the docker config path"),
    pytest.param("podman pull docker.io/library/alpine\n", id="an image reference on docker.io"),
    pytest.param("vi Dockerfile\n", id="a Dockerfile"),
    pytest.param("dockerd --debug\n", id="dockerd is not docker"),
    pytest.param("mydocker ps\n", id="a different command that contains docker"),
    pytest.param('"docker" ps\n', id="a quoted command word is left for a human"),
    pytest.param("podman ps\n", id="already podman"),
    pytest.param("grep -rl docker .\n", id="a search pattern"),
    pytest.param("systemctl status docker\n", id="the docker service name"),
    pytest.param("echo $((1 + 2)) docker\n", id="after arithmetic"),
    pytest.param("ln -s /usr/bin/podman /usr/local/bin/docker\n", id="a path argument"),
    pytest.param("docker_tag=1\n", id="a variable name"),
    pytest.param("echo ${docker:-x}\n", id="a variable called docker"),
]


@pytest.mark.parametrize(("src", "expected"), FIXES)
def test_fixes(rule_check, src, expected):
    rule_check.fixes(RULE, src, expected)


@pytest.mark.parametrize("src", NOOPS)
def test_noop(rule_check, src):
    rule_check.noop(RULE, src)
