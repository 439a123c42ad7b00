"""`published-ports`: the host ports about to be published are free; rootful Docker's
docker-proxy holds none of them. Recorded hosts with /proc/net/tcp{,6} written in the
kernel's format, plus the real /proc/net/tcp with a real listening socket."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from doctor_helpers import check_case, fix_templates, text_of

from rootless.doctor import run_checks
from rootless.doctor.checks.published_ports import (
    PortSpec,
    conflicts,
    parse_port,
    parse_proc_net_tcp,
)
from rootless.doctor.model import Status

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
HEADER6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def tcp_line(addr_hex: str, port: int, uid: int, state: str = "0A") -> str:
    rem = "0" * len(addr_hex)
    return (
        f"   0: {addr_hex}:{port:04X} {rem}:0000 {state} 00000000:00000000 00:00000000 "
        f"00000000 {uid:>5}        0 4242 1 0000000000000000 100 0 0 10 0\n"
    )


# little-endian words, as x86 kernels print them
ANY4 = "00000000"
LOOPBACK4 = "0100007F"
ANY6 = "0" * 32
LOOPBACK6 = "00000000000000000000000001000000"

PROXY_ARGV = [
    "/usr/bin/docker-proxy",
    "-proto",
    "tcp",
    "-host-ip",
    "0.0.0.0",
    "-host-port",
    "8080",
    "-container-ip",
    "172.17.0.2",
    "-container-port",
    "80",
]
DOCKER_PROXY = {
    "processes": [
        {"pid": 900, "uid": 0, "name": "dockerd"},
        {
            "pid": 2345,
            "uid": 0,
            "name": "docker-proxy",
            "cmdline": PROXY_ARGV,
        },
    ],
    "files": {"/var/run/docker.sock": {"type": "file", "mode": 0o660, "uid": 0, "gid": 998}},
}


def run_case(
    tmp_path: Path,
    ports: list[str] | None,
    *,
    tcp: str = "",
    tcp6: str = "",
    config: dict | None = None,
    files: dict | None = None,
):
    all_files = {"/proc/net/tcp": HEADER + tcp, "/proc/net/tcp6": HEADER6 + tcp6, **(files or {})}
    from doctor_helpers import variant

    from rootless.doctor import diagnose

    host = variant(tmp_path, "rhel9-ok", files=all_files, config=config)
    findings = diagnose(
        host, ["published-ports"], params={"ports": ports} if ports is not None else None
    ).findings
    return next(f for f in findings if f.id == "published-ports")


@pytest.mark.parametrize(
    ("ports", "tcp", "tcp6", "status", "expected"),
    [
        pytest.param(
            ["8080"],
            tcp_line(LOOPBACK4, 5432, 26),
            "",
            "ok",
            "0.0.0.0:8080 is free",
            id="a port nothing listens on is free",
        ),
        pytest.param(
            ["8080"],
            tcp_line(ANY4, 8080, 1000),
            "",
            "fail",
            "0.0.0.0:8080 is already listening (a socket of you (alice, uid 1000))",
            id="a port the user's own program listens on is taken",
        ),
        pytest.param(
            ["127.0.0.1:8080"],
            tcp_line(ANY4, 8080, 0),
            "",
            "fail",
            "127.0.0.1:8080 is taken: 0.0.0.0:8080 is already listening (a socket of root (uid 0))",
            id="a listener on every address blocks a loopback publish",
        ),
        pytest.param(
            ["192.0.2.10:8080"],
            tcp_line(LOOPBACK4, 8080, 1000),
            "",
            "ok",
            "192.0.2.10:8080 is free",
            id="a loopback listener does not block another address",
        ),
        pytest.param(
            ["8080"],
            tcp_line(ANY4, 8080, 1000, state="01"),
            "",
            "ok",
            "0.0.0.0:8080 is free",
            id="an established connection on the port is no listener",
        ),
        pytest.param(
            ["127.0.0.1:8080"],
            "",
            tcp_line(ANY6, 8080, 0),
            "fail",
            "[::]:8080 is already listening",
            id="a dual-stack IPv6 listener holds the IPv4 port too",
        ),
        pytest.param(
            ["127.0.0.1:8080"],
            "",
            tcp_line(LOOPBACK6, 8080, 0),
            "ok",
            "127.0.0.1:8080 is free",
            id="an IPv6 loopback listener does not block IPv4",
        ),
        pytest.param(
            ["80"],
            "",
            "",
            "ok",
            "0.0.0.0:80 is free",
            id="a low port is fine where ip_unprivileged_port_start allows it",
        ),
        pytest.param(
            ["8080", "x:1"],
            "",
            "",
            "fail",
            "invalid port 'x:1': 'x' is not an IP address",
            id="an invalid port is a failure with the reason, not a crash",
        ),
    ],
)
def test_published_ports(
    tmp_path: Path, *, ports: list[str], tcp: str, tcp6: str, status: str, expected: str
) -> None:
    finding = run_case(tmp_path, ports, tcp=tcp, tcp6=tcp6)
    assert finding.status.value == status, text_of(finding)
    assert expected in text_of(finding)


def test_a_taken_port_tells_how_to_go_on_and_renders_as_a_user_step(tmp_path: Path) -> None:
    finding = run_case(tmp_path, ["8080"], tcp=tcp_line(ANY4, 8080, 1000))
    assert fix_templates(finding) == ["note"]
    step = finding.fix.steps[0]
    assert step.part == "user"
    assert "publish on another host port" in step.summary
    assert "ss -ltnp 'sport = :8080'" in step.summary
    assert finding.data["ports"] == ["0.0.0.0:8080"]


def test_a_port_below_the_unprivileged_start_fails_pointing_at_unprivileged_ports(
    tmp_path: Path,
) -> None:
    finding = run_case(
        tmp_path, ["80"], files={"/proc/sys/net/ipv4/ip_unprivileged_port_start": "1024\n"}
    )
    assert finding.status is Status.FAIL
    assert "ports below 1024 need privileges" in finding.summary
    assert "rootless doctor unprivileged-ports" in finding.fix.steps[0].summary


def test_docker_proxy_on_the_wanted_port_fails_with_the_stop_docker_fix(tmp_path: Path) -> None:
    finding = run_case(tmp_path, ["8080"], tcp=tcp_line(ANY4, 8080, 0), config=DOCKER_PROXY)
    assert finding.status is Status.FAIL
    assert "taken by rootful Docker: docker-proxy (pid 2345) publishes 0.0.0.0:8080" in (
        finding.summary
    )
    assert "172.17.0.2:80" in finding.summary
    assert fix_templates(finding) == ["disable-docker"]


def test_docker_proxy_warns_without_any_port_given(tmp_path: Path) -> None:
    finding = run_case(tmp_path, None, config=DOCKER_PROXY)
    assert finding.status is Status.WARN
    assert "rootful Docker still publishes 0.0.0.0:8080 (docker-proxy pid 2345" in finding.summary
    assert fix_templates(finding) == ["disable-docker"]


def test_docker_installed_but_publishing_nothing_is_ok(tmp_path: Path) -> None:
    finding = run_case(
        tmp_path,
        None,
        config={"files": {"/var/run/docker.sock": {"type": "file", "mode": 0o660, "gid": 998}}},
    )
    assert finding.status is Status.OK
    assert finding.summary == "no rootful Docker container holds a host port"


def test_without_ports_and_without_docker_it_does_not_apply(tmp_path: Path) -> None:
    finding = check_case(tmp_path, "published-ports")
    assert finding.status is Status.SKIP
    assert "no port given (rootless doctor --port 8080)" in finding.summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080", PortSpec("", 8080)),
        ("127.0.0.1:8080", PortSpec("127.0.0.1", 8080)),
        ("[::1]:443", PortSpec("::1", 443)),
        (8443, PortSpec("", 8443)),
    ],
    ids=["a bare port", "an IPv4 address and port", "a bracketed IPv6 address", "an int"],
)
def test_parse_port(text: object, expected: PortSpec) -> None:
    assert parse_port(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "from 1 to 65535"),
        ("70000", "from 1 to 65535"),
        ("::1:80", "write IPv6 addresses as [IPv6]:PORT"),
        ("[::1]80", "expected [IPv6]:PORT"),
        ("host:80", "is not an IP address"),
        ("8080:80", "is not an IP address"),
    ],
    ids=["zero", "too large", "unbracketed IPv6", "no colon after ]", "a host name", "a -p spec"],
)
def test_parse_port_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_port(text)


def test_proc_net_tcp_parsing_keeps_listeners_only() -> None:
    text = HEADER + tcp_line(LOOPBACK4, 631, 0) + tcp_line(ANY4, 22, 0, state="01")
    assert [(s.ip, s.port, s.uid) for s in parse_proc_net_tcp(text, v6=False)] == [
        ("127.0.0.1", 631, 0)
    ]
    six = HEADER6 + tcp_line(LOOPBACK6, 8443, 1000) + tcp_line(ANY6, 80, 0)
    assert [(s.address, s.uid) for s in parse_proc_net_tcp(six, v6=True)] == [
        ("[::1]:8443", 1000),
        ("[::]:80", 0),
    ]


def test_conflict_rules() -> None:
    assert conflicts(PortSpec("", 80), "127.0.0.1", False)
    assert conflicts(PortSpec("127.0.0.1", 80), "0.0.0.0", False)
    assert not conflicts(PortSpec("127.0.0.2", 80), "127.0.0.1", False)
    assert conflicts(PortSpec("::", 80), "127.0.0.1", False)
    assert not conflicts(PortSpec("::1", 80), "0.0.0.0", False)


def test_a_real_listening_socket_on_this_host_is_found() -> None:
    """RealHost: the kernel's own /proc/net/tcp, a socket this process really listens on."""
    import os

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        findings = run_checks(ids=["published-ports"], params={"ports": [f"127.0.0.1:{port}"]})
    finding = next(f for f in findings if f.id == "published-ports")
    assert finding.status is Status.FAIL
    assert f"127.0.0.1:{port} is taken" in finding.summary
    assert f"uid {os.getuid()}" in finding.summary
    with socket.socket() as probe:  # now closed: the same port is free again
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    again = run_checks(ids=["published-ports"], params={"ports": [str(free)]})
    assert next(f for f in again if f.id == "published-ports").status is Status.OK
