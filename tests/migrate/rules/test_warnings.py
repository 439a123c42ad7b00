"""Warn-only rules: each warns (with a concrete fix) on its construct, never edits, and
stays silent on the near misses."""

from __future__ import annotations

import pytest

WARNS = [
    # link-flag
    pytest.param(
        "link-flag", "docker run --link db app\n", "podman network create", id="link: --link NAME"
    ),
    pytest.param(
        "link-flag",
        "docker run --link=db:database app\n",
        "--network-alias database",
        id="link: --link=NAME:ALIAS offers an alias",
    ),
    pytest.param("link-flag", "docker create --link db app\n", "--network", id="link: on create"),
    # restart-policy
    pytest.param(
        "restart-policy",
        "docker run -d --restart always nginx\n",
        "podman-restart.service",
        id="restart: always",
    ),
    pytest.param(
        "restart-policy",
        "docker run --restart=unless-stopped app\n",
        "enable-linger",
        id="restart: unless-stopped",
    ),
    pytest.param(
        "restart-policy",
        "docker run --restart on-failure:3 app\n",
        "Quadlet",
        id="restart: on-failure",
    ),
    # privileged-port
    pytest.param(
        "privileged-port", "docker run -p 80:80 nginx\n", "-p 8080:80", id="port: 80 offers 8080"
    ),
    pytest.param(
        "privileged-port",
        "docker run -p 127.0.0.1:443:8443 app\n",
        "ip_unprivileged_port_start=443",
        id="port: with an address",
    ),
    pytest.param(
        "privileged-port",
        "docker run --publish=53:53/udp dns\n",
        "ip_unprivileged_port_start=53",
        id="port: udp",
    ),
    pytest.param(
        "privileged-port",
        "docker run -p80:80 nginx\n",
        "host port 80",
        id="port: glued short option",
    ),
    # swarm-command
    pytest.param("swarm-command", "docker swarm init\n", "kube play", id="swarm: swarm init"),
    pytest.param(
        "swarm-command", "docker stack deploy -c s.yml app\n", "Quadlet", id="swarm: stack deploy"
    ),
    pytest.param("swarm-command", "docker service ls\n", "never", id="swarm: service ls"),
    pytest.param("swarm-command", "docker node ls\n", "never", id="swarm: node ls"),
    pytest.param("swarm-command", "docker plugin install x\n", "never", id="swarm: plugin install"),
    # docker-context
    pytest.param(
        "docker-context",
        "docker context use prod\n",
        "system connection",
        id="context: context use",
    ),
    pytest.param(
        "docker-context",
        "docker --context prod ps\n",
        "ignores --context",
        id="context: --context option",
    ),
    pytest.param(
        "docker-context",
        "export DOCKER_CONTEXT=prod\n",
        "DOCKER_CONTEXT",
        id="context: DOCKER_CONTEXT",
    ),
    # buildx-unsupported
    pytest.param(
        "buildx-unsupported", "docker buildx create --use\n", "buildx create", id="buildx: create"
    ),
    pytest.param("buildx-unsupported", "docker buildx bake\n", "BuildKit", id="buildx: bake"),
    pytest.param(
        "buildx-unsupported",
        "docker buildx imagetools inspect x\n",
        "skopeo",
        id="buildx: imagetools",
    ),
    # daemon-plumbing
    pytest.param(
        "daemon-plumbing",
        "sudo systemctl enable --now docker\n",
        "no docker daemon",
        id="daemon: systemctl enable docker",
    ),
    pytest.param(
        "daemon-plumbing",
        "systemctl restart docker.service\n",
        "podman.socket",
        id="daemon: docker.service",
    ),
    pytest.param(
        "daemon-plumbing",
        "service docker start\n",
        "no docker daemon",
        id="daemon: service docker start",
    ),
    pytest.param(
        "daemon-plumbing",
        "sudo usermod -aG docker $USER\n",
        "root-equivalent",
        id="daemon: usermod -aG docker",
    ),
    pytest.param(
        "daemon-plumbing", "groupadd docker\n", "root-equivalent", id="daemon: groupadd docker"
    ),
    pytest.param(
        "daemon-plumbing", "newgrp docker\n", "root-equivalent", id="daemon: newgrp docker"
    ),
    pytest.param("daemon-plumbing", "dockerd --debug &\n", "no daemon", id="daemon: dockerd"),
    # ulimit-memlock
    pytest.param(
        "ulimit-memlock", "docker run --ulimit memlock=-1:-1 es\n", "limits.d", id="memlock: -1:-1"
    ),
    pytest.param(
        "ulimit-memlock",
        "docker run --ulimit=memlock=-1 es\n",
        "not unlimited",
        id="memlock: inline",
    ),
    # resource-limits
    pytest.param(
        "resource-limits", "docker run --memory 512m app\n", "cgroup v2", id="limits: memory"
    ),
    pytest.param(
        "resource-limits",
        "docker run -m 1g --cpus 2 app\n",
        "--memory, --cpus",
        id="limits: memory and cpus together",
    ),
    pytest.param(
        "resource-limits", "docker run --pids-limit 100 app\n", "Delegate=", id="limits: pids"
    ),
    # remote-engine
    pytest.param(
        "remote-engine",
        "ssh prod 'docker ps'\n",
        "remote host",
        id="remote: ssh with a quoted command",
    ),
    pytest.param(
        "remote-engine", "ssh prod docker ps\n", "remote host", id="remote: ssh with words"
    ),
    pytest.param(
        "remote-engine",
        "ssh prod <<EOF\ndocker pull app\nEOF\n",
        "heredoc",
        id="remote: heredoc over ssh",
    ),
]

NOOPS = [
    pytest.param("link-flag", "docker run --network appnet app\n", id="link: a network instead"),
    pytest.param(
        "link-flag",
        "docker run app --link db\n",
        id="link: --link after the image belongs to the container",
    ),
    pytest.param("link-flag", "ln --link a b\n", id="link: another command"),
    pytest.param("restart-policy", "docker run --restart no app\n", id="restart: no"),
    pytest.param("restart-policy", "docker restart app\n", id="restart: the restart sub-command"),
    pytest.param("restart-policy", "systemctl --user restart app\n", id="restart: systemctl"),
    pytest.param("privileged-port", "docker run -p 8080:80 nginx\n", id="port: 8080"),
    pytest.param("privileged-port", "docker run -p 80 nginx\n", id="port: container port only"),
    pytest.param("privileged-port", "docker run -P nginx\n", id="port: publish all"),
    pytest.param("privileged-port", "docker run -p $PORT:80 nginx\n", id="port: a variable"),
    pytest.param(
        "privileged-port", "docker run nginx -p 80:80\n", id="port: an argument of the container"
    ),
    pytest.param("swarm-command", "docker service-ls\n", id="swarm: a different word"),
    pytest.param("swarm-command", "docker run service\n", id="swarm: an image called service"),
    pytest.param("swarm-command", "echo docker swarm init\n", id="swarm: echoed"),
    pytest.param(
        "swarm-command", "docker secret create s f\n", id="swarm: podman has local secrets"
    ),
    pytest.param(
        "docker-context", "docker build --context . x\n", id="context: not a global option"
    ),
    pytest.param(
        "docker-context", "docker run -c 512 app\n", id="context: -c after run is cpu-shares"
    ),
    pytest.param("docker-context", "kubectl config use-context prod\n", id="context: kubectl"),
    pytest.param("buildx-unsupported", "docker buildx build .\n", id="buildx: build is supported"),
    pytest.param(
        "buildx-unsupported", "docker buildx version\n", id="buildx: version is supported"
    ),
    pytest.param("buildx-unsupported", "docker build .\n", id="buildx: plain build"),
    pytest.param("daemon-plumbing", "systemctl restart nginx\n", id="daemon: another service"),
    pytest.param(
        "daemon-plumbing",
        "systemctl --user enable --now podman.socket\n",
        id="daemon: the podman socket",
    ),
    pytest.param("daemon-plumbing", "usermod -aG wheel bob\n", id="daemon: another group"),
    pytest.param("daemon-plumbing", "echo systemctl start docker\n", id="daemon: echoed"),
    pytest.param("daemon-plumbing", "service nginx start\n", id="daemon: another init script"),
    pytest.param("daemon-plumbing", "# usermod -aG docker me\n", id="daemon: a comment"),
    pytest.param(
        "ulimit-memlock", "docker run --ulimit nofile=1024:1024 app\n", id="memlock: another ulimit"
    ),
    pytest.param("ulimit-memlock", "ulimit -l unlimited\n", id="memlock: the shell builtin"),
    pytest.param(
        "ulimit-memlock", "docker run --ulimit memlock=65536 app\n", id="memlock: a finite value"
    ),
    pytest.param("resource-limits", "docker run --rm app\n", id="limits: none"),
    pytest.param("resource-limits", "docker build --memory 1g .\n", id="limits: build is not run"),
    pytest.param(
        "resource-limits", "docker run app --memory 1g\n", id="limits: an argument of the container"
    ),
    pytest.param("remote-engine", "ssh prod uptime\n", id="remote: another remote command"),
    pytest.param(
        "remote-engine", "ssh -i ~/.docker/key prod uptime\n", id="remote: a docker path as a key"
    ),
    pytest.param(
        "remote-engine", "scp docker-compose.yml prod:\n", id="remote: scp of a compose file"
    ),
    pytest.param("remote-engine", "cat <<EOF\ndocker ps\nEOF\n", id="remote: a local heredoc"),
]


@pytest.mark.parametrize(("rule", "src", "contains"), WARNS)
def test_warns(rule_check, rule, src, contains):
    rule_check.warns(rule, src, contains, cgroup_v2=None)


@pytest.mark.parametrize(("rule", "src"), NOOPS)
def test_noop(rule_check, rule, src):
    rule_check.noop(rule, src)


def test_resource_limits_are_quiet_when_the_target_has_cgroup_v2(rule_check):
    rule_check.noop("resource-limits", "docker run --memory 1g app\n", cgroup_v2=True)


def test_resource_limits_name_cgroup_v1_when_known(rule_check):
    rule_check.warns(
        "resource-limits", "docker run --memory 1g app\n", "cgroup v1", cgroup_v2=False
    )


def test_cron_entries_need_a_runtime_dir(rule_check):
    rule_check.warns(
        "cron-environment",
        "0 3 * * * docker system prune -f\n",
        "XDG_RUNTIME_DIR",
        path="backup.cron",
    )


def test_system_cron_entries_as_root_are_rootful(rule_check):
    rule_check.warns(
        "cron-environment",
        "0 3 * * * root docker system prune -f\n",
        "rootful",
        path="/etc/cron.d/prune",
    )


def test_cron_lines_without_docker_are_quiet(rule_check):
    rule_check.noop("cron-environment", "0 3 * * * /usr/local/bin/backup.sh\n", path="backup.cron")


def test_docker_words_outside_cron_are_not_cron_findings(rule_check):
    rule_check.noop("cron-environment", "docker ps\n", path="x.sh")
