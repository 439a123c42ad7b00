"""Rewrites marked for review: each rewrites its construct, is idempotent, and leaves the
near misses alone."""

from __future__ import annotations

import pytest

SOCK = "${XDG_RUNTIME_DIR}/podman/podman.sock"

FIXES = [
    # buildx-build
    pytest.param(
        "buildx-build",
        "docker buildx build -t app .\n",
        "docker build -t app .\n",
        id="buildx: buildx build becomes build",
    ),
    pytest.param(
        "buildx-build",
        "docker buildx build --load -t app .\n",
        "docker build -t app .\n",
        id="buildx: --load is dropped",
    ),
    pytest.param(
        "buildx-build",
        "docker buildx build --push -t r.io/a:1 .\n",
        "docker build -t r.io/a:1 . && podman push r.io/a:1\n",
        id="buildx: --push is split into build and push",
    ),
    pytest.param(
        "buildx-build",
        "docker buildx build \\\n  --push \\\n  -t r.io/a:1 \\\n  .\n",
        "docker build \\\n  -t r.io/a:1 \\\n  . && podman push r.io/a:1\n",
        id="buildx: a continued --push line goes away whole",
    ),
    pytest.param(
        "buildx-build",
        "docker buildx build --push -t r.io/a:1 -t r.io/a:latest .\n",
        "docker build -t r.io/a:1 -t r.io/a:latest . && podman push r.io/a:1 && podman push r.io/a:latest\n",
        id="buildx: every tag is pushed",
    ),
    # user-keep-id
    pytest.param(
        "user-keep-id",
        'docker run --user "$(id -u):$(id -g)" -v "$PWD:/src" img\n',
        'docker run --userns=keep-id -v "$PWD:/src" img\n',
        id="keep-id: quoted id -u:id -g with a bind mount",
    ),
    pytest.param(
        "user-keep-id",
        "docker run -u $(id -u):$(id -g) -v $(pwd):/w img make\n",
        "docker run --userns=keep-id -v $(pwd):/w img make\n",
        id="keep-id: -u with unquoted substitutions",
    ),
    pytest.param(
        "user-keep-id",
        "docker run --user=$UID -v ./out:/out img\n",
        "docker run --userns=keep-id -v ./out:/out img\n",
        id="keep-id: --user=$UID",
    ),
    pytest.param(
        "user-keep-id",
        "docker run \\\n  --user `id -u`:`id -g` \\\n  --mount type=bind,src=/srv/data,dst=/data img\n",
        "docker run \\\n  --userns=keep-id \\\n  --mount type=bind,src=/srv/data,dst=/data img\n",
        id="keep-id: backticks and --mount",
    ),
    # docker-socket
    pytest.param(
        "docker-socket",
        "docker run -v /var/run/docker.sock:/var/run/docker.sock traefik\n",
        f"docker run -v {SOCK}:/var/run/docker.sock traefik\n",
        id="socket: host side only",
    ),
    pytest.param(
        "docker-socket",
        'docker run -v "/run/docker.sock:/tmp/docker.sock:ro" x\n',
        f'docker run -v "{SOCK}:/tmp/docker.sock:ro" x\n',
        id="socket: inside double quotes with options",
    ),
    pytest.param(
        "docker-socket",
        "docker run -v '/var/run/docker.sock:/var/run/docker.sock' x\n",
        "docker run -v ''\"${XDG_RUNTIME_DIR}\"'/podman/podman.sock:/var/run/docker.sock' x\n",
        id="socket: single quotes are opened for the variable",
    ),
    pytest.param(
        "docker-socket",
        "docker run --volume=/var/run/docker.sock:/sock x\n",
        f"docker run --volume={SOCK}:/sock x\n",
        id="socket: --volume= form",
    ),
    pytest.param(
        "docker-socket",
        "docker run --mount type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock x\n",
        f"docker run --mount type=bind,source={SOCK},target=/var/run/docker.sock x\n",
        id="socket: --mount source",
    ),
    pytest.param(
        "docker-socket",
        "sudo docker run -p 80:80 -v /var/run/docker.sock:/s x\n",
        "sudo docker run -p 80:80 -v /run/podman/podman.sock:/s x\n",
        id="socket: kept sudo means the rootful socket",
    ),
    # docker-host
    pytest.param(
        "docker-host",
        "export DOCKER_HOST=unix:///var/run/docker.sock\n",
        "export DOCKER_HOST=unix://" + SOCK + "\n",
        id="host: export",
    ),
    pytest.param(
        "docker-host",
        'DOCKER_HOST="unix:///run/docker.sock" docker ps\n',
        'DOCKER_HOST="unix://' + SOCK + '" docker ps\n',
        id="host: prefixing a command",
    ),
    pytest.param(
        "docker-host",
        "DOCKER_HOST='unix:///var/run/docker.sock'\n",
        "DOCKER_HOST='unix://'\"${XDG_RUNTIME_DIR}\"'/podman/podman.sock'\n",
        id="host: single quotes",
    ),
    # gpus-flag
    pytest.param(
        "gpus-flag",
        "docker run --gpus all cuda nvidia-smi\n",
        "docker run --device nvidia.com/gpu=all cuda nvidia-smi\n",
        id="gpus: all",
    ),
    pytest.param(
        "gpus-flag",
        "docker run --gpus=all cuda\n",
        "docker run --device nvidia.com/gpu=all cuda\n",
        id="gpus: --gpus=all",
    ),
    pytest.param(
        "gpus-flag",
        "docker run --gpus '\"device=0,1\"' cuda\n",
        "docker run --device nvidia.com/gpu=0 --device nvidia.com/gpu=1 cuda\n",
        id="gpus: two devices",
    ),
    # log-driver
    pytest.param(
        "log-driver",
        "docker run --log-driver syslog app\n",
        "docker run --log-driver journald app\n",
        id="log: syslog",
    ),
    pytest.param(
        "log-driver",
        "docker run --log-driver=gelf --log-opt gelf-address=udp://x:12201 --log-opt tag=web app\n",
        "docker run --log-driver=journald --log-opt tag=web app\n",
        id="log: gelf with its options",
    ),
    pytest.param(
        "log-driver",
        "docker run --log-driver fluentd --log-opt fluentd-address=f:24224 app\n",
        "docker run --log-driver journald app\n",
        id="log: fluentd",
    ),
    # global-options
    pytest.param(
        "global-options",
        "docker run --runtime crun app\n",
        "docker --runtime crun run app\n",
        id="global: --runtime",
    ),
    pytest.param(
        "global-options",
        "docker run --storage-opt size=10G app\n",
        "docker --storage-opt size=10G run app\n",
        id="global: --storage-opt",
    ),
    pytest.param(
        "global-options",
        "docker run -d --runtime=runsc --storage-opt size=1G app\n",
        "docker --runtime=runsc --storage-opt size=1G run -d app\n",
        id="global: both at once",
    ),
    # short-image-name
    pytest.param(
        "short-image-name",
        "docker run nginx\n",
        "docker run docker.io/library/nginx\n",
        id="image: official image",
    ),
    pytest.param(
        "short-image-name",
        "docker run -d mongo:3\n",
        "docker run -d docker.io/library/mongo:3\n",
        id="image: with a tag",
    ),
    pytest.param(
        "short-image-name",
        "docker pull graylog/graylog:3.3\n",
        "docker pull docker.io/graylog/graylog:3.3\n",
        id="image: with a namespace",
    ),
    pytest.param(
        "short-image-name",
        'docker run --rm "alpine" true\n',
        'docker run --rm "docker.io/library/alpine" true\n',
        id="image: quoted",
    ),
    pytest.param(
        "short-image-name",
        "docker create -v /d:/d --name x redis:7 redis-server\n",
        "docker create -v /d:/d --name x docker.io/library/redis:7 redis-server\n",
        id="image: after options, command kept",
    ),
    pytest.param(
        "short-image-name",
        "podman image pull busybox\n",
        "podman image pull docker.io/library/busybox\n",
        id="image: podman image pull",
    ),
]

NOOPS = [
    pytest.param("buildx-build", "docker build -t app .\n", id="buildx: plain build"),
    pytest.param("buildx-build", "docker buildx ls\n", id="buildx: ls is another rule"),
    pytest.param("buildx-build", "echo docker buildx build --push .\n", id="buildx: echoed"),
    pytest.param(
        "buildx-build",
        "podman build --load -t a .\n",
        id="buildx: --load on plain build is left alone",
    ),
    pytest.param(
        "user-keep-id", 'docker run --user "$(id -u):$(id -g)" img\n', id="keep-id: no bind mount"
    ),
    pytest.param(
        "user-keep-id",
        "docker run --user 1000:1000 -v /d:/d img\n",
        id="keep-id: a fixed numeric user",
    ),
    pytest.param("user-keep-id", "docker run --user root -v /d:/d img\n", id="keep-id: root"),
    pytest.param(
        "user-keep-id",
        'docker run --userns=keep-id --user "$(id -u)" -v /d:/d img\n',
        id="keep-id: already keep-id",
    ),
    pytest.param("user-keep-id", "docker exec -u $(id -u) c ls\n", id="keep-id: exec"),
    pytest.param(
        "user-keep-id",
        "docker run -v vol:/d --user $(id -u) img\n",
        id="keep-id: a named volume is not a bind mount",
    ),
    pytest.param(
        "docker-socket", "docker run -v /srv/docker.sock.d:/x x\n", id="socket: a similar path"
    ),
    pytest.param(
        "docker-socket",
        "docker run -v $SOCK:/var/run/docker.sock x\n",
        id="socket: container side only",
    ),
    pytest.param("docker-socket", "ls -l /var/run/docker.sock\n", id="socket: not a mount"),
    pytest.param(
        "docker-socket",
        f"docker run -v {SOCK}:/var/run/docker.sock x\n",
        id="socket: already the podman socket",
    ),
    pytest.param(
        "docker-socket",
        "docker run app -v /var/run/docker.sock:/s\n",
        id="socket: an argument of the container",
    ),
    pytest.param(
        "docker-socket",
        "sudo docker run -p 80:80 -v /run/podman/podman.sock:/s x\n",
        id="socket: already the rootful podman socket",
    ),
    pytest.param(
        "docker-host",
        "export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock\n",
        id="host: already podman",
    ),
    pytest.param(
        "docker-host", "DOCKER_SOCK=unix:///var/run/docker.sock\n", id="host: another variable"
    ),
    pytest.param(
        "docker-host", "echo DOCKER_HOST=unix:///var/run/docker.sock\n", id="host: echoed"
    ),
    pytest.param(
        "docker-host", "# export DOCKER_HOST=unix:///var/run/docker.sock\n", id="host: a comment"
    ),
    pytest.param("docker-host", "unset DOCKER_HOST\n", id="host: unset"),
    pytest.param(
        "gpus-flag", "docker run --device nvidia.com/gpu=all cuda\n", id="gpus: already CDI"
    ),
    pytest.param(
        "gpus-flag", "docker run cuda --gpus all\n", id="gpus: an argument of the container"
    ),
    pytest.param("gpus-flag", "nvidia-smi --gpus all\n", id="gpus: another command"),
    pytest.param(
        "log-driver", "docker run --log-driver json-file app\n", id="log: json-file is supported"
    ),
    pytest.param("log-driver", "docker run --log-driver journald app\n", id="log: journald"),
    pytest.param("log-driver", "docker run --log-driver $DRIVER app\n", id="log: a variable"),
    pytest.param("log-driver", "docker run --log-opt max-size=10m app\n", id="log: options only"),
    pytest.param("global-options", "docker --runtime crun run app\n", id="global: already global"),
    pytest.param(
        "global-options",
        "docker run app --runtime crun\n",
        id="global: an argument of the container",
    ),
    pytest.param(
        "short-image-name", "docker run docker.io/library/nginx\n", id="image: already qualified"
    ),
    pytest.param(
        "short-image-name", "docker run quay.io/podman/stable\n", id="image: another registry"
    ),
    pytest.param(
        "short-image-name", "docker run localhost:5000/app\n", id="image: a registry with a port"
    ),
    pytest.param("short-image-name", "docker run localhost/app\n", id="image: localhost"),
    pytest.param("short-image-name", "docker run $IMAGE\n", id="image: a variable"),
    pytest.param(
        "short-image-name", "docker run ${REGISTRY}/app:1\n", id="image: a registry variable"
    ),
    pytest.param(
        "short-image-name",
        "docker build -t app . && docker run app\n",
        id="image: built by the script",
    ),
    pytest.param(
        "short-image-name",
        "docker tag a myapp:1\ndocker run myapp:1\n",
        id="image: tagged by the script",
    ),
    pytest.param("short-image-name", "docker ps\n", id="image: no image"),
    pytest.param("short-image-name", "docker run --rootfs /srv/root sh\n", id="image: rootfs"),
    pytest.param(
        "short-image-name", "docker exec web nginx -s reload\n", id="image: exec names a container"
    ),
    pytest.param("short-image-name", "docker push myapp\n", id="image: push of a local image"),
    pytest.param("short-image-name", "docker run UPPER\n", id="image: not a valid reference"),
]


@pytest.mark.parametrize(("rule", "src", "expected"), FIXES)
def test_fixes(rule_check, rule, src, expected):
    rule_check.fixes(rule, src, expected)


@pytest.mark.parametrize(("rule", "src"), NOOPS)
def test_noop(rule_check, rule, src):
    rule_check.noop(rule, src)


WARNED = [
    pytest.param(
        "buildx-build",
        "docker buildx build --platform linux/amd64,linux/arm64 -t a .\n",
        "--manifest",
        id="buildx: multi-platform",
    ),
    pytest.param(
        "buildx-build",
        "docker buildx build --push -t a . | tee log\n",
        "podman push a",
        id="buildx: push in a pipeline",
    ),
    pytest.param(
        "docker-host", "export DOCKER_HOST=tcp://build:2376\n", "system connection", id="host: tcp"
    ),
    pytest.param("gpus-flag", "docker run --gpus 2 cuda\n", "CDI", id="gpus: count"),
    pytest.param(
        "global-options", "docker run --runtime nvidia cuda\n", "CDI", id="global: nvidia runtime"
    ),
]


@pytest.mark.parametrize(("rule", "src", "contains"), WARNED)
def test_near_misses_that_deserve_a_warning(rule_check, rule, src, contains):
    rule_check.warns(rule, src, contains)


def test_short_names_can_be_suggested_only(rule_check):
    result = rule_check.run("short-image-name", "docker run nginx\n", image_mode="suggest")
    assert result.text == "docker run nginx\n"
    assert [f.fix for f in result.findings] == ["use docker.io/library/nginx"]


def test_short_names_can_be_switched_off(rule_check):
    rule_check.noop("short-image-name", "docker run nginx\n", image_mode="off")


def test_docker_host_in_env_files(rule_check):
    rule_check.fixes(
        "docker-host",
        "DOCKER_HOST=unix:///var/run/docker.sock\n",
        "DOCKER_HOST=unix://" + SOCK + "\n",
        path=".env",
    )


def test_docker_host_in_a_makefile_doubles_the_dollar(rule_check):
    rule_check.fixes(
        "docker-host",
        "export DOCKER_HOST = unix:///var/run/docker.sock\n",
        "export DOCKER_HOST = unix://$${XDG_RUNTIME_DIR}/podman/podman.sock\n",
        path="Makefile",
    )


def test_socket_in_a_makefile_recipe_doubles_the_dollar(rule_check):
    rule_check.fixes(
        "docker-socket",
        "run:\n\tdocker run -v /var/run/docker.sock:/s x\n",
        "run:\n\tdocker run -v $${XDG_RUNTIME_DIR}/podman/podman.sock:/s x\n",
        path="Makefile",
    )


def test_alias_recognised(rule_check):
    result = rule_check.run(
        "docker-alias", "alias docker=podman\nalias docker-compose='podman compose'\n"
    )
    assert result.text.startswith("alias docker=podman")
    assert [f.line for f in result.findings if f.rule == "docker-alias"] == [1, 2]


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("alias d='docker ps'\n", id="an alias that uses docker"),
        pytest.param("alias docker='sudo docker'\n", id="an alias to sudo docker"),
        pytest.param("alias ll='ls -l'\n", id="an unrelated alias"),
        pytest.param("echo alias docker=podman\n", id="echoed text"),
    ],
)
def test_alias_not_recognised(rule_check, src):
    result = rule_check.run("docker-alias", src)
    assert not [f for f in result.findings if f.rule == "docker-alias"]
