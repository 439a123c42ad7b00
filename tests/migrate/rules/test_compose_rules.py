"""Compose rules: span edits of the original YAML (comments, quotes, anchors survive),
warnings with fixes, and near misses that stay silent."""

from __future__ import annotations

import pytest

from rootless.migrate import Settings, fix_text

C = "docker-compose.yml"


def svc(body: str, name: str = "web", head: str = "") -> str:
    lines = "".join(f"    {ln}\n" if ln else "\n" for ln in body.splitlines())
    return f"{head}services:\n  {name}:\n{lines}"


FIXES = [
    pytest.param(
        "short-image-name",
        svc("image: nginx:1.25  # pinned"),
        svc("image: docker.io/library/nginx:1.25  # pinned"),
        id="image: a library short name is qualified, the comment stays",
    ),
    pytest.param(
        "short-image-name",
        svc('image: "graylog/graylog:5.2"'),
        svc('image: "docker.io/graylog/graylog:5.2"'),
        id="image: a double-quoted namespaced name keeps its quotes",
    ),
    pytest.param(
        "short-image-name",
        svc("image: 'redis'"),
        svc("image: 'docker.io/library/redis'"),
        id="image: a single-quoted name",
    ),
    pytest.param(
        "short-image-name",
        svc("image: ${APP_IMAGE:-ghost:5}"),
        svc("image: ${APP_IMAGE:-docker.io/library/ghost:5}"),
        id="image: only the default of ${VAR:-default} is edited",
    ),
    pytest.param(
        "short-image-name",
        "web:\n  image: mongo:3\n",
        "web:\n  image: docker.io/library/mongo:3\n",
        id="image: the v1 layout",
    ),
    pytest.param(
        "short-image-name",
        "x-base: &base\n  image: postgres:16\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n",
        "x-base: &base\n  image: docker.io/library/postgres:16\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n",
        id="image: an anchored image shared by two services is edited once, at the anchor",
    ),
    pytest.param(
        "short-image-name",
        svc('image: "nginx:${NGINX_VERSION:-1.25}"'),
        svc('image: "docker.io/library/nginx:${NGINX_VERSION:-1.25}"'),
        id="image: a variable tag still gets the registry",
    ),
    pytest.param(
        "docker-socket",
        svc(
            "image: traefik\nvolumes:\n  - /var/run/docker.sock:/var/run/docker.sock:ro\nrestart: always"
        ),
        svc(
            "image: traefik\nvolumes:\n  - ${XDG_RUNTIME_DIR}/podman/podman.sock:/var/run/docker.sock:ro\n"
            "security_opt: [label=disable]\nrestart: always"
        ),
        id="socket: host side replaced and security_opt added after the volumes",
    ),
    pytest.param(
        "docker-socket",
        svc(
            "volumes:\n  - /run/docker.sock:/tmp/d.sock\nsecurity_opt:\n  - no-new-privileges:true"
        ),
        svc(
            "volumes:\n  - ${XDG_RUNTIME_DIR}/podman/podman.sock:/tmp/d.sock\nsecurity_opt:\n"
            "  - no-new-privileges:true\n  - label=disable"
        ),
        id="socket: label=disable appended to an existing block list",
    ),
    pytest.param(
        "docker-socket",
        svc(
            'volumes: ["${SOCK:-/var/run/docker.sock}:/var/run/docker.sock"]\nsecurity_opt: [seccomp=unconfined]'
        ),
        svc(
            'volumes: ["${SOCK:-${XDG_RUNTIME_DIR}/podman/podman.sock}:/var/run/docker.sock"]\n'
            "security_opt: [seccomp=unconfined, label=disable]"
        ),
        id="socket: in an interpolation default, flow lists",
    ),
    pytest.param(
        "docker-socket",
        svc(
            "volumes:\n  - type: bind\n    source: /var/run/docker.sock\n    target: /var/run/docker.sock"
        ),
        svc(
            "volumes:\n  - type: bind\n    source: ${XDG_RUNTIME_DIR}/podman/podman.sock\n"
            "    target: /var/run/docker.sock\nsecurity_opt: [label=disable]"
        ),
        id="socket: long volume syntax",
    ),
    pytest.param(
        "log-driver",
        svc("logging:\n  driver: syslog\n  options:\n    syslog-address: udp://log:514"),
        svc("logging:\n  driver: journald\n  options:\n    syslog-address: udp://log:514"),
        id="logging: syslog becomes journald",
    ),
    pytest.param(
        "log-driver",
        svc('logging:\n  driver: "${LOG_DRIVER:-gelf}"'),
        svc('logging:\n  driver: "${LOG_DRIVER:-journald}"'),
        id="logging: only the interpolation default",
    ),
]

WARNS = [
    pytest.param("privileged-port", svc('ports:\n  - "443:443"'), "8443:443", id="ports: 443"),
    pytest.param(
        "privileged-port",
        svc("ports:\n  - 514:514/udp"),
        "ip_unprivileged_port_start=514",
        id="ports: udp 514",
    ),
    pytest.param(
        "privileged-port",
        svc("ports:\n  - target: 80\n    published: 80"),
        "published: 8080",
        id="ports: long syntax",
    ),
    pytest.param(
        "privileged-port",
        svc('ports: ["${HTTP_PORT:-80}:80"]'),
        "host port 80",
        id="ports: interpolation default",
    ),
    pytest.param(
        "restart-policy",
        svc("restart: unless-stopped"),
        "enable-linger",
        id="restart: unless-stopped",
    ),
    pytest.param(
        "restart-policy",
        svc("deploy:\n  restart_policy:\n    condition: on-failure"),
        "ignores it",
        id="restart: deploy.restart_policy is ignored",
    ),
    pytest.param(
        "link-flag", svc("links:\n  - db:database"), "aliases: [database]", id="links with an alias"
    ),
    pytest.param(
        "link-flag", svc("links: [db]"), "reach each other by name", id="links without alias"
    ),
    pytest.param(
        "link-flag", svc("external_links:\n  - redis_1"), "external: true", id="external_links"
    ),
    pytest.param(
        "ulimit-memlock",
        svc("ulimits:\n  memlock:\n    soft: -1\n    hard: -1"),
        "memory_lock",
        id="memlock: soft/hard -1",
    ),
    pytest.param("ulimit-memlock", svc("ulimits:\n  memlock: -1"), "hard limit", id="memlock: -1"),
    pytest.param(
        "resource-limits",
        svc("deploy:\n  resources:\n    limits:\n      memory: 1g"),
        "deploy.resources.limits",
        id="resources: deploy limits",
    ),
    pytest.param(
        "resource-limits",
        svc("mem_limit: 512m\ncpus: 0.5"),
        "mem_limit, cpus",
        id="resources: mem_limit",
    ),
    pytest.param("privileged-container", svc("privileged: true"), "cap_add", id="privileged: true"),
    pytest.param(
        "compose-version",
        'version: "3.8"\n' + svc("image: x/y"),
        "obsolete",
        id="version: is obsolete",
    ),
    pytest.param(
        "compose-v1-layout", "web:\n  image: nginx\ndb:\n  build: .\n", "web, db", id="v1 layout"
    ),
]

NOOPS = [
    pytest.param(
        "short-image-name",
        svc("image: quay.io/prometheus/node-exporter:v1.8.1"),
        id="image: already qualified",
    ),
    pytest.param(
        "short-image-name", svc("image: localhost:5000/app"), id="image: a local registry"
    ),
    pytest.param(
        "short-image-name", svc("image: myapp\nbuild: ."), id="image: the tag of a local build"
    ),
    pytest.param(
        "short-image-name", svc("image: ${REGISTRY}/app:1"), id="image: a variable registry"
    ),
    pytest.param("short-image-name", svc("image: $IMAGE"), id="image: only a variable"),
    pytest.param(
        "short-image-name",
        svc("environment:\n  IMAGE: nginx"),
        id="image: nginx as an environment value",
    ),
    pytest.param(
        "short-image-name",
        "# image: nginx\n" + svc("image: docker.io/library/nginx"),
        id="image: in a comment",
    ),
    pytest.param(
        "docker-socket",
        svc("volumes:\n  - ./docker.sock:/var/run/docker.sock"),
        id="socket: container side only",
    ),
    pytest.param(
        "docker-socket",
        svc("volumes:\n  - /srv/docker.socket.d:/x"),
        id="socket: a look-alike path",
    ),
    pytest.param(
        "docker-socket",
        svc("environment:\n  - SOCK=/var/run/docker.sock"),
        id="socket: an environment value",
    ),
    pytest.param(
        "docker-socket",
        svc(
            "volumes:\n  - ${XDG_RUNTIME_DIR}/podman/podman.sock:/var/run/docker.sock\nsecurity_opt: [label=disable]"
        ),
        id="socket: already migrated",
    ),
    pytest.param("log-driver", svc("logging:\n  driver: journald"), id="logging: journald"),
    pytest.param(
        "log-driver", svc("logging:\n  driver: json-file"), id="logging: json-file is known"
    ),
    pytest.param(
        "log-driver",
        svc("logging:\n  driver: ${LOG_DRIVER}"),
        id="logging: a variable without default",
    ),
    pytest.param("privileged-port", svc('ports:\n  - "8080:80"'), id="ports: high host port"),
    pytest.param("privileged-port", svc("ports:\n  - 80"), id="ports: container port only"),
    pytest.param("privileged-port", svc("expose:\n  - 80"), id="ports: expose is not publish"),
    pytest.param("restart-policy", svc("restart: no"), id="restart: no"),
    pytest.param("restart-policy", svc('restart: "no"'), id="restart: quoted no"),
    pytest.param("link-flag", svc("depends_on: [db]"), id="links: depends_on is fine"),
    pytest.param("link-flag", svc("networks: [links]"), id="links: a network named links"),
    pytest.param("ulimit-memlock", svc("ulimits:\n  nofile: 65536"), id="memlock: other ulimits"),
    pytest.param("ulimit-memlock", svc("ulimits:\n  memlock: 8192"), id="memlock: a number"),
    pytest.param(
        "resource-limits", svc("deploy:\n  replicas: 2"), id="resources: deploy without resources"
    ),
    pytest.param("privileged-container", svc("privileged: false"), id="privileged: false"),
    pytest.param(
        "privileged-container",
        svc("environment:\n  PRIVILEGED: 'true'"),
        id="privileged: an environment value",
    ),
    pytest.param("compose-version", svc("image: x/y"), id="version: absent"),
    pytest.param("compose-version", svc("environment:\n  version: '3'"), id="version: nested key"),
    pytest.param("compose-v1-layout", svc("image: nginx"), id="v1 layout: services: present"),
    pytest.param("compose-v1-layout", "name: app\n" + svc("build: ."), id="v1 layout: a name key"),
]


@pytest.mark.parametrize(("rule", "src", "expected"), FIXES)
def test_fixes(rule_check, rule, src, expected):
    rule_check.fixes(rule, src, expected, path=C)


@pytest.mark.parametrize(("rule", "src", "contains"), WARNS)
def test_warns(rule_check, rule, src, contains):
    rule_check.warns(rule, src, contains, path=C)


@pytest.mark.parametrize(("rule", "src"), NOOPS)
def test_noop(rule_check, rule, src):
    rule_check.noop(rule, src, path=C)


def test_resource_limits_are_quiet_when_the_target_has_cgroup_v2(rule_check):
    rule_check.noop("resource-limits", svc("mem_limit: 1g"), path=C, cgroup_v2=True)


def test_image_suggest_mode_only_reports(rule_check):
    r = rule_check.run("short-image-name", svc("image: nginx"), path=C, image_mode="suggest")
    assert r.text == svc("image: nginx")
    assert any("docker.io/library/nginx" in (f.fix or "") for f in r.findings)


def test_a_yaml_syntax_error_changes_nothing_and_says_so():
    src = svc("image: nginx\n  bad: [") + "\n"
    r = fix_text(src, path=C)
    assert r.text == src
    assert [f.rule for f in r.findings] == ["config-error"]


def test_a_yaml_file_named_otherwise_is_compose_by_content():
    src = "# stack\nservices:\n  app:\n    image: redis:7\n"
    r = fix_text(src, path="deploy/stack.yml")
    assert r.kind == "compose"
    assert "docker.io/library/redis:7" in r.text


def test_a_yaml_file_with_services_that_are_not_compose_is_left_alone():
    src = "services:\n  - name: api\n    image: nginx\n"
    r = fix_text(src, path="config/services.yml")
    assert r.text == src
    assert not r.findings


def test_crlf_compose_files_keep_their_line_endings():
    src = svc("image: nginx\nvolumes:\n  - /var/run/docker.sock:/var/run/docker.sock").replace(
        "\n", "\r\n"
    )
    r = fix_text(src, path=C)
    assert r.text.count("\n") == r.text.count("\r\n")
    assert "security_opt: [label=disable]\r\n" in r.text


def test_a_socket_volume_in_a_flow_style_service_is_changed_and_security_opt_explained():
    src = "services:\n  w: {image: a/b, volumes: [/var/run/docker.sock:/s]}\n"
    r = fix_text(src, path=C, settings=Settings(select=frozenset({"docker-socket"})))
    assert "${XDG_RUNTIME_DIR}/podman/podman.sock:/s" in r.text
    assert any("by hand" in f.message for f in r.findings)
