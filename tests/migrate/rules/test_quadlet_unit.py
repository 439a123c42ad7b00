"""quadlet-unit: units running `docker run` get a Quadlet .container file that our own
checker accepts; what cannot be expressed is reported; the unit itself is untouched
unless --edit-units is given."""

from __future__ import annotations

import pytest

from rootless.migrate import Settings, fix_text
from rootless.migrate.unitfile import check_quadlet, parse_unit, split_exec

RULE = frozenset({"quadlet-unit"})


def unit(
    exec_start: str, *, service: str = "", install: str = "WantedBy=multi-user.target\n"
) -> str:
    return (
        "[Unit]\nDescription=test\nAfter=docker.service\n\n[Service]\n"
        + service
        + f"ExecStart={exec_start}\n\n[Install]\n{install}"
    )


def quadlet(src: str, path: str = "app.service", **kw):
    r = fix_text(src, path=path, settings=Settings(select=RULE, **kw))
    assert r.text == src  # the unit is never edited by this rule
    return r


def container(r) -> dict[str, list[str]]:
    assert len(r.generated) == 1
    text = r.generated[0].content
    assert check_quadlet(text) == [], text
    u = parse_unit(text.encode())
    out: dict[str, list[str]] = {}
    for e in u.entries:
        out.setdefault(f"{e.section}.{e.key}", []).append(e.value)
    return out


GENERATES = [
    pytest.param(
        "/usr/bin/docker run --rm --name redis -p 6379:6379 -v /srv/redis:/data redis:7 redis-server --appendonly yes",
        {
            "Container.Image": ["docker.io/library/redis:7"],
            "Container.ContainerName": ["redis"],
            "Container.PublishPort": ["6379:6379"],
            "Container.Volume": ["/srv/redis:/data"],
            "Container.Exec": ["redis-server --appendonly yes"],
        },
        id="a redis unit maps name, port, volume, image and command",
    ),
    pytest.param(
        '-/usr/bin/docker run -e "A=b c" -e D=e --env-file /etc/app.env --network appnet app/api:2',
        {
            "Container.Environment": ['"A=b c"', "D=e"],
            "Container.EnvironmentFile": ["/etc/app.env"],
            "Container.Network": ["appnet"],
            "Container.Image": ["docker.io/app/api:2"],
        },
        id="env values with blanks are quoted for systemd; the - prefix is understood",
    ),
    pytest.param(
        "docker run --restart unless-stopped --user 1000:1000 nginx",
        {"Service.Restart": ["always"], "Container.User": ["1000"], "Container.Group": ["1000"]},
        id="--restart unless-stopped becomes Restart=always; --user splits",
    ),
    pytest.param(
        "/usr/bin/docker run --cap-add NET_ADMIN --device /dev/net/tun --pids-limit 100 --sysctl net.ipv4.ip_forward=1 --foo=bar -it vpn/img",
        {
            "Container.AddCapability": ["NET_ADMIN"],
            "Container.AddDevice": ["/dev/net/tun"],
            "Container.PidsLimit": ["100"],
            "Container.PodmanArgs": ["--foo=bar -it"],
        },
        id="unknown flags go to PodmanArgs",
    ),
    pytest.param(
        "docker --log-level debug run -v /var/run/docker.sock:/var/run/docker.sock:ro traefik:v3",
        {
            "Container.Volume": ["%t/podman/podman.sock:/var/run/docker.sock:ro"],
            "Container.SecurityLabelDisable": ["true"],
            "Container.GlobalArgs": ["--log-level debug"],
        },
        id="the docker socket becomes the user's podman socket; global options to GlobalArgs",
    ),
    pytest.param(
        "docker run --name %n -v %h/data:/data alpine sh -c 'echo \"hi %i\"; sleep 1d'",
        {
            "Container.Volume": ["%h/data:/data"],
            "Container.Exec": ['sh -c "echo \\"hi %i\\"; sleep 1d"'],
        },
        id="specifiers pass through; --name %n is dropped; quoting survives",
    ),
    pytest.param(
        'docker run -u "$(id -u)" --log-driver syslog app/x',
        {"Container.UserNS": ["keep-id"], "Container.LogDriver": ["journald"]},
        id="a computed user becomes keep-id; unsupported log driver becomes journald",
    ),
]


@pytest.mark.parametrize(("exec_start", "expected"), GENERATES)
def test_generates(exec_start, expected):
    r = quadlet(unit(exec_start))
    keys = container(r)
    for k, v in expected.items():
        assert keys.get(k) == v, (k, keys)
    assert keys["Install.WantedBy"] == ["default.target"]
    assert "Unit.After" not in keys  # docker.service was the only dependency
    assert r.pending
    # quoting round-trips through the same splitter Quadlet uses
    for v in keys.get("Container.Exec", []):
        assert split_exec(v) is not None


WARNS = [
    pytest.param(
        "docker run --link db app/x",
        "--link db cannot be expressed",
        id="--link is reported, not dropped silently",
    ),
    pytest.param("docker run --privileged app/x", "--privileged kept", id="--privileged"),
    pytest.param("docker run --memory 1g app/x", "cgroup v2", id="resource limits"),
    pytest.param("docker run $IMAGE", "comes from a variable", id="a variable image"),
    pytest.param("docker run --gpus 2 app/x", "map to CDI devices by hand", id="--gpus N"),
]


@pytest.mark.parametrize(("exec_start", "contains"), WARNS)
def test_warns(exec_start, contains):
    r = quadlet(unit(exec_start))
    assert r.generated
    assert any(contains in f.message for f in r.findings), [f.message for f in r.findings]


def test_pre_steps_rm_stop_are_dropped_pull_becomes_pull_always():
    src = unit(
        "/usr/bin/docker run --name web nginx",
        service=(
            "ExecStartPre=-/usr/bin/docker stop web\nExecStartPre=-/usr/bin/docker rm -f web\n"
            "ExecStartPre=/usr/bin/docker pull nginx\nExecStartPre=/bin/mkdir -p /srv/web\n"
            "TimeoutStartSec=0\n"
        ),
    )
    r = quadlet(src)
    keys = container(r)
    assert keys["Container.Pull"] == ["always"]
    assert keys["Service.ExecStartPre"] == ["/bin/mkdir -p /srv/web"]
    assert keys["Service.TimeoutStartSec"] == ["0"]
    msgs = " ".join(f.message for f in r.findings)
    assert "stop ... dropped" in msgs
    assert "rm ... dropped" in msgs


def test_other_docker_steps_are_reported_when_left_out():
    src = unit("docker run --network n app/x", service="ExecStartPre=-docker network create n\n")
    r = quadlet(src)
    assert any(".network file" in f.message for f in r.findings)


def test_a_templated_unit_becomes_a_templated_quadlet():
    src = unit("/usr/bin/docker run --name worker-%i -e QUEUE=%i app/worker:1")
    r = quadlet(src, path="units/worker@.service")
    assert r.generated[0].name == "worker@.container"
    keys = container(r)
    assert keys["Container.ContainerName"] == ["worker-%i"]
    assert keys["Container.Environment"] == ["QUEUE=%i"]
    assert "NAME@INSTANCE" in r.generated[0].content


def test_continuation_lines_are_joined():
    src = unit("/usr/bin/docker run \\\n  -p 8080:80 \\\n  nginx:1.25")
    keys = container(quadlet(src))
    assert keys["Container.PublishPort"] == ["8080:80"]
    assert keys["Container.Image"] == ["docker.io/library/nginx:1.25"]


def test_a_podman_unit_gets_a_quadlet_suggestion_that_is_not_pending():
    r = quadlet(unit("/usr/bin/podman run docker.io/library/nginx"))
    assert r.generated
    assert not r.pending


NOOPS = [
    pytest.param(unit("/usr/bin/python3 -m http.server"), id="a unit without docker"),
    pytest.param(unit("/usr/bin/docker system prune -af"), id="docker but not run"),
    pytest.param(unit("/usr/bin/docker-compose up"), id="compose (warned, no Quadlet)"),
    pytest.param(unit('/bin/sh -c "docker run nginx"'), id="docker run inside sh -c (warned)"),
    pytest.param("[Unit]\nDescription=docker run nginx\n", id="docker run in a description"),
    pytest.param(
        "[Service]\n# ExecStart=/usr/bin/docker run nginx\nExecStart=/bin/true\n", id="a comment"
    ),
]


@pytest.mark.parametrize("src", NOOPS)
def test_noop(src):
    r = quadlet(src)
    assert not r.generated
    assert not r.pending


def test_compose_units_are_warned_about():
    r = quadlet(unit("/usr/local/bin/docker-compose -f /srv/app/compose.yml up"))
    assert any("podlet compose" in (f.fix or "") for f in r.findings)


def test_in_place_edits_need_the_flag():
    src = unit("/usr/bin/docker run --rm nginx:1.25")
    assert fix_text(src, path="a.service").text == src
    edited = fix_text(src, path="a.service", settings=Settings(edit_units=True)).text
    assert "ExecStart=/usr/bin/podman run --rm docker.io/library/nginx:1.25" in edited
    again = fix_text(edited, path="a.service", settings=Settings(edit_units=True))
    assert again.text == edited
    assert not again.pending  # podman now: the Quadlet is only a suggestion


def test_in_place_socket_edits_use_the_runtime_dir_specifier():
    src = unit("/usr/bin/docker run -v /var/run/docker.sock:/var/run/docker.sock x/y")
    out = fix_text(src, path="a.service", settings=Settings(edit_units=True)).text
    assert "-v %t/podman/podman.sock:/var/run/docker.sock" in out


def test_checker_finds_what_quadlet_rejects():
    assert check_quadlet("[Container]\nExec=true\n") == ["[Container] has no Image="]
    assert "line 3: unknown [Container] key Imagee" in check_quadlet(
        "[Container]\nImage=a\nImagee=b\n"
    )
    assert check_quadlet("[Unit]\nDescription=x\n")[0] == "no [Container] section"
    assert any("unbalanced" in p for p in check_quadlet('[Container]\nImage=a\nExec=sh -c "x\n'))
