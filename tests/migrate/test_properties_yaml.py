"""Property tests for shell inside YAML: a GitHub Actions ``run:`` block migrates exactly like
the same text as a script (the offset map through indentation is exact), bytes outside the
edits survive, the output still parses as YAML, and twice equals once. Also compose files
made of random services: twice equals once and the output parses."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rootless.migrate import Settings, fix_bytes
from rootless.migrate.yamlspan import parse

LINES = [
    'docker run --rm -v "$PWD":/src nginx:1.25 make',
    "sudo docker build -t app .",
    "docker-compose up -d",
    "docker run -v /var/run/docker.sock:/var/run/docker.sock traefik",
    "echo 'docker is a word here'",
    "docker push ${{ env.IMAGE }}:latest",
    "podman ps",
    "if command -v docker; then docker ps; fi",
    "docker run --log-driver syslog --gpus all -p 80:80 app/x",
    "make test",
    "  docker pull redis:7  # indented more",
    "",
]
SET = Settings(cgroup_v2=False)


def _workflow(lines: list[str], indent: int, chomp: str) -> bytes:
    pad = " " * indent
    body = "".join(f"{pad}{ln}\n" if ln else "\n" for ln in lines)
    return (
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - name: x\n        run: |{chomp}\n{body}      - run: echo done\n"
    ).encode()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(LINES), min_size=1, max_size=8).filter(any),
    st.integers(min_value=10, max_value=14),
    st.sampled_from(["", "-", "+"]),
)
def test_run_block_migrates_like_the_script_it_holds(lines, indent, chomp):
    if not lines[0].strip() or lines[0].startswith(" "):  # it would set the indentation
        lines = ["true", *lines]
    data = _workflow(lines, indent, chomp)
    result = fix_bytes(data, path=".github/workflows/p.yml", settings=SET)
    # 1. the YAML still parses, and the run: value is the script migrated on its own
    (root,) = parse(result.fixed)
    step = root.get("jobs").get("b").get("steps").items[0]  # type: ignore[union-attr]
    value = step.get("run").value  # type: ignore[union-attr]
    (orig_root,) = parse(data)
    orig_value = orig_root.get("jobs").get("b").get("steps").items[0].get("run").value  # type: ignore[union-attr]
    expr = "${{ env.IMAGE }}"  # GitHub substitutes it before the shell runs: opaque
    script = orig_value.replace(expr, "${_gh_expr}")
    alone = fix_bytes(script.encode(), path="x.sh", settings=SET).text.replace("${_gh_expr}", expr)
    assert value == alone
    # 2. bytes outside the edits are untouched
    pos = 0
    out = b""
    for e in result.edits:
        out += data[pos : e.start] + e.text
        pos = e.end
    assert out + data[pos:] == result.fixed
    # 3. twice == once
    assert (
        fix_bytes(result.fixed, path=".github/workflows/p.yml", settings=SET).fixed == result.fixed
    )


SERVICE_KEYS = [
    "image: nginx",
    'image: "redis:7"',
    "image: ${IMG:-postgres:16}",
    "ports: ['80:80', \"8080:8080\"]",
    "ports:\n  - 443:443",
    "volumes:\n  - /var/run/docker.sock:/var/run/docker.sock",
    "volumes: [/var/run/docker.sock:/s]",
    "security_opt: [no-new-privileges]",
    "security_opt:\n  - seccomp=unconfined",
    "logging:\n  driver: syslog",
    "restart: always",
    "links: [db]",
    "privileged: true",
    "ulimits:\n  memlock: -1",
    "build: .",
    "# a comment",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.sampled_from(SERVICE_KEYS), min_size=1, max_size=6, unique=True),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([2, 4]),
)
def test_compose_twice_equals_once_and_still_parses(services, indent):
    pad = " " * indent
    text = "services:\n"
    for i, given_keys in enumerate(services):
        keys = given_keys
        if all(k.startswith("#") for k in keys):
            keys = ["image: a/b", *keys]
        text += f"{pad}s{i}:\n"
        for k in keys:
            text += "".join(f"{pad * 2}{ln}\n" for ln in k.splitlines())
    data = text.encode()
    once = fix_bytes(data, path="compose.yaml", settings=SET)
    assert parse(once.fixed)  # never produces broken YAML
    assert not [f for f in once.findings if f.rule == "config-error"]
    twice = fix_bytes(once.fixed, path="compose.yaml", settings=SET)
    assert twice.fixed == once.fixed
