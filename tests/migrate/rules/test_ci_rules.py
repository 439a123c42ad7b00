"""CI configs: shell rules inside YAML scalars, Groovy strings and devcontainer runArgs
(offsets mapped back through indentation, folding and escapes), and the CI-only rules."""

from __future__ import annotations

import pytest

from rootless.migrate import Settings, fix_text

GH = ".github/workflows/ci.yml"
GL = ".gitlab-ci.yml"
JF = "Jenkinsfile"
DC = ".devcontainer/devcontainer.json"


def steps(*lines: str) -> str:
    return "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n" + "".join(
        f"      {ln}\n" for ln in lines
    )


FIXES = [
    pytest.param(
        "docker-command",
        steps("- run: |", "    docker build -t app .", "    echo done"),
        steps("- run: |", "    podman build -t app .", "    echo done"),
        GH,
        id="github: a literal block scalar",
    ),
    pytest.param(
        "docker-command",
        steps("- run: >-", "    docker run --rm", "    app/x test"),
        steps("- run: >-", "    podman run --rm", "    app/x test"),
        GH,
        id="github: a folded block scalar",
    ),
    pytest.param(
        "docker-command",
        steps('- run: "docker push ${{ env.IMAGE }}:latest"'),
        steps('- run: "podman push ${{ env.IMAGE }}:latest"'),
        GH,
        id="github: a quoted scalar with an expression",
    ),
    pytest.param(
        "short-image-name",
        steps("- run: docker pull ${{ matrix.x }} && docker pull redis:7"),
        steps("- run: docker pull ${{ matrix.x }} && docker pull docker.io/library/redis:7"),
        GH,
        id="github: expressions are opaque words",
    ),
    pytest.param(
        "docker-command",
        "build:\n  script:\n    - docker build -t $CI_REGISTRY_IMAGE .\n    - 'docker push \"$CI_REGISTRY_IMAGE\"'\n",
        "build:\n  script:\n    - podman build -t $CI_REGISTRY_IMAGE .\n    - 'podman push \"$CI_REGISTRY_IMAGE\"'\n",
        GL,
        id="gitlab: script items, plain and single-quoted",
    ),
    pytest.param(
        "docker-socket",
        "t:\n  script:\n    - |\n      docker run -v /var/run/docker.sock:/var/run/docker.sock x/y\n",
        "t:\n  script:\n    - |\n      docker run -v ${XDG_RUNTIME_DIR}/podman/podman.sock:/var/run/docker.sock x/y\n",
        GL,
        id="gitlab: a block item",
    ),
    pytest.param(
        "docker-command",
        "node { sh 'docker build -t app .' }\n",
        "node { sh 'podman build -t app .' }\n",
        JF,
        id="jenkins: sh with a single-quoted literal",
    ),
    pytest.param(
        "docker-command",
        'node {\n  sh """\n    docker run --rm -v \\$PWD:/w ${env.IMG} make\n  """\n}\n',
        'node {\n  sh """\n    podman run --rm -v \\$PWD:/w ${env.IMG} make\n  """\n}\n',
        JF,
        id="jenkins: a triple-quoted GString with interpolation and escapes",
    ),
    pytest.param(
        "docker-command",
        'sh(script: "docker ps", returnStdout: true)\n',
        'sh(script: "podman ps", returnStdout: true)\n',
        JF,
        id="jenkins: sh(script: ...)",
    ),
    pytest.param(
        "docker-socket",
        '{\n  "runArgs": ["-v", "/var/run/docker.sock:/var/run/docker.sock"]\n}\n',
        '{\n  "runArgs": ["-v", "${localEnv:XDG_RUNTIME_DIR}/podman/podman.sock:/var/run/docker.sock"]\n}\n',
        DC,
        id="devcontainer: runArgs socket mount uses the devcontainer variable",
    ),
    pytest.param(
        "gpus-flag",
        '{\n  // GPU\n  "runArgs": ["--gpus", "all"],\n}\n',
        '{\n  // GPU\n  "runArgs": ["--device", "nvidia.com/gpu=all"],\n}\n',
        DC,
        id="devcontainer: two JSON strings replaced by two (comments and trailing commas kept)",
    ),
    pytest.param(
        "docker-socket",
        '{"mounts": [{"source": "/var/run/docker.sock", "target": "/var/run/docker.sock", "type": "bind"}]}\n',
        '{"mounts": [{"source": "${localEnv:XDG_RUNTIME_DIR}/podman/podman.sock", "target": "/var/run/docker.sock", "type": "bind"}]}\n',
        DC,
        id="devcontainer: an object mount",
    ),
]

WARNS = [
    pytest.param(
        "docker-actions",
        steps("- uses: docker/login-action@v3", "  with:", "    registry: ghcr.io"),
        "podman-login",
        GH,
        id="login-action",
    ),
    pytest.param(
        "docker-actions",
        steps("- uses: docker/setup-buildx-action@v3"),
        "remove the step",
        GH,
        id="setup-buildx-action",
    ),
    pytest.param(
        "docker-actions",
        steps(
            "- uses: docker/build-push-action@v6",
            "  with:",
            "    file: Containerfile",
            "    push: true",
        ),
        "push-to-registry",
        GH,
        id="build-push-action with push",
    ),
    pytest.param(
        "gitlab-dind",
        "build:\n  image: docker:24\n  services:\n    - docker:24-dind\n  variables:\n    DOCKER_HOST: tcp://docker:2375\n  script:\n    - docker info\n",
        "quay.io/podman/stable",
        GL,
        id="gitlab: dind service with DOCKER_HOST",
    ),
    pytest.param(
        "gitlab-dind",
        "services:\n  - name: docker:dind\n    alias: docker\nt:\n  script: [docker ps]\n",
        "privileged runner",
        GL,
        id="gitlab: a global dind service with a name/alias map",
    ),
    pytest.param(
        "docker-host",
        "env:\n  DOCKER_HOST: unix:///var/run/docker.sock\n" + steps("- run: make")[9:],
        "GITHUB_ENV",
        GH,
        id="github: DOCKER_HOST in env cannot use a shell variable",
    ),
    pytest.param(
        "jenkins-docker-dsl",
        "docker.image('maven:3').inside { sh 'mvn -v' }\n",
        "Docker Pipeline plugin",
        JF,
        id="jenkins: docker.image().inside",
    ),
    pytest.param(
        "jenkins-docker-dsl",
        "pipeline { agent { docker { image 'node:20' } } }\n",
        "podman",
        JF,
        id="jenkins: agent docker",
    ),
]

NOOPS = [
    pytest.param(
        "docker-command",
        steps("- run: echo docker is fine"),
        GH,
        id="github: docker as an argument",
    ),
    pytest.param(
        "docker-command", steps("- shell: pwsh", "  run: docker ps"), GH, id="github: a pwsh step"
    ),
    pytest.param(
        "docker-command", steps("- name: docker build", "  run: make"), GH, id="github: a step name"
    ),
    pytest.param(
        "docker-command",
        steps("- uses: actions/checkout@v4", "  with:", "    path: docker"),
        GH,
        id="github: a with: value",
    ),
    pytest.param(
        "docker-command",
        steps("- run: |", "    # docker build .", "    make"),
        GH,
        id="github: a shell comment in a block",
    ),
    pytest.param(
        "docker-command",
        "t:\n  script:\n    - echo 'docker build'\n",
        GL,
        id="gitlab: a quoted string",
    ),
    pytest.param(
        "docker-command",
        "t:\n  image: docker:24\n  script: [make]\n",
        GL,
        id="gitlab: image: docker",
    ),
    pytest.param(
        "docker-command", "// sh 'docker ps'\nnode { sh 'make' }\n", JF, id="jenkins: a comment"
    ),
    pytest.param("docker-command", "node { echo 'docker ps' }\n", JF, id="jenkins: echo, not sh"),
    pytest.param(
        "docker-command", "def x = \"sh 'docker ps'\"\n", JF, id="jenkins: inside another string"
    ),
    pytest.param(
        "docker-socket",
        '{"runArgs": ["--init"], "name": "/var/run/docker.sock"}\n',
        DC,
        id="devcontainer: other keys",
    ),
    pytest.param(
        "docker-actions", steps("- uses: docker/metadata-action@v5"), GH, id="metadata-action stays"
    ),
    pytest.param(
        "docker-actions", steps("- uses: redhat-actions/buildah-build@v2"), GH, id="already buildah"
    ),
    pytest.param(
        "docker-actions", steps("- run: echo docker/login-action"), GH, id="the name in a run block"
    ),
    pytest.param(
        "gitlab-dind",
        "t:\n  services: [postgres:16]\n  script: [docker ps]\n",
        GL,
        id="gitlab: other services",
    ),
    pytest.param(
        "gitlab-dind",
        "t:\n  variables:\n    X: docker:dind\n  script: [make]\n",
        GL,
        id="gitlab: dind as a variable value",
    ),
    pytest.param(
        "docker-host",
        "t:\n  variables:\n    DOCKER_HOST: tcp://docker:2375\n  script: [docker ps]\n",
        GL,
        id="gitlab: the dind DOCKER_HOST is left to gitlab-dind",
    ),
    pytest.param(
        "jenkins-docker-dsl", "node { sh 'podman build .' }\n", JF, id="jenkins: podman steps"
    ),
    pytest.param(
        "jenkins-docker-dsl",
        "def dockerImage = 'x'\n",
        JF,
        id="jenkins: a variable named docker...",
    ),
    pytest.param(
        "jenkins-docker-dsl",
        "// docker.image('x').inside {}\nnode { sh 'docker ps' }\n",
        JF,
        id="jenkins: the DSL in a comment",
    ),
    pytest.param(
        "gpus-flag",
        '{"runArgs": ["--device", "nvidia.com/gpu=all"]}\n',
        DC,
        id="devcontainer: already CDI",
    ),
    pytest.param(
        "short-image-name",
        steps("- run: docker build -t nginx:local . && docker run nginx:local"),
        GH,
        id="github: a locally built image",
    ),
    pytest.param(
        "docker-command", "t:\n  script:\n    - podman build .\n", GL, id="gitlab: already podman"
    ),
]


@pytest.mark.parametrize(("rule", "src", "expected", "path"), FIXES)
def test_fixes(rule_check, rule, src, expected, path):
    rule_check.fixes(rule, src, expected, path=path)


@pytest.mark.parametrize(("rule", "src", "contains", "path"), WARNS)
def test_warns(rule_check, rule, src, contains, path):
    rule_check.warns(rule, src, contains, path=path)


@pytest.mark.parametrize(("rule", "src", "path"), NOOPS)
def test_noop(rule_check, rule, src, path):
    rule_check.noop(rule, src, path=path)


def test_compose_container_names_in_scripts(rule_check):
    rule_check.warns(
        "compose-container-name", "docker exec -it shop_web_1 sh\n", "x-podman", path="a.sh"
    )
    rule_check.warns("compose-container-name", "docker logs shop-db-1\n", "shop_db_1", path="a.sh")
    rule_check.warns(
        "compose-container-name",
        "docker cp shop_web_1:/app/log .\n",
        "label=com.docker.compose.project=shop",
        path="a.sh",
    )
    for near_miss in (
        "docker exec -it web sh\n",
        "docker exec shop_web sh\n",
        "docker run --name shop_web_1 nginx\n",
        "docker exec shop_web-1 sh\n",
        "echo shop_web_1\n",
        "docker exec my-app-v2 sh\n",
    ):
        rule_check.noop("compose-container-name", near_miss, path="a.sh")


def test_yaml_error_in_a_workflow_is_reported():
    src = "jobs:\n  b:\n    steps: [\n      run: docker ps\n"
    r = fix_text(src, path=GH)
    assert r.text == src
    assert [f.rule for f in r.findings] == ["config-error"]


def test_kinds_by_path():
    assert fix_text("x: 1\n", path=".github/workflows/a.yaml").kind == "github-actions"
    assert fix_text("x: 1\n", path="ci/deploy.gitlab-ci.yml").kind == "gitlab-ci"
    assert fix_text("{}\n", path=".devcontainer.json").kind == "devcontainer"
    assert fix_text("x\n", path="ci/Jenkinsfile.release").kind == "jenkinsfile"


def test_every_ci_edit_leaves_the_yaml_parsing():
    src = steps("- run: |", "    docker run -v /var/run/docker.sock:/var/run/docker.sock app/x")
    r = fix_text(src, path=GH, settings=Settings())
    from rootless.migrate.yamlspan import parse

    assert parse(r.fixed)
