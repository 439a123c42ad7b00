"""The parts of `rootless verify` that need no namespace: the layer-header scan behind the
owners step, the choice of the non-root user, the HTTP probe, the checklist rendering, the
option parsers, and that every doctor check it names exists."""

from __future__ import annotations

import io
import socket
import threading

import pytest
from oci_registry import LayerBuilder

from rootless import cli, entry
from rootless.doctor.registry import REGISTRY, all_checks
from rootless.engine import verify as verify_mod
from rootless.engine.layers import TarReader
from rootless.engine.verify import (
    FAILED,
    HOST_CHECKS,
    PASSED,
    SKIPPED,
    STEP_CHECKS,
    STEPS,
    LayerScan,
    Report,
    StepResult,
    http_get,
    is_short_name,
    pick_user,
)
from rootless.engine.verifycmd import OPTIONS, Checklist, parse_args, parse_port
from rootless.errors import UsageError


def scan(*layers: bytes) -> LayerScan:
    result = LayerScan()
    for tar in layers:
        result.apply(TarReader(io.BytesIO(tar)))
    return result


def test_every_check_verify_names_is_a_registered_doctor_check() -> None:
    all_checks()
    assert set(HOST_CHECKS) <= set(REGISTRY)
    assert set(STEP_CHECKS.values()) <= set(REGISTRY)
    assert set(STEP_CHECKS) <= {s for s, _ in STEPS}


def test_the_scan_keeps_the_last_layers_owners_and_applies_whiteouts() -> None:
    lower = (
        LayerBuilder()
        .dir("srv", uid=101, gid=101)
        .file("srv/a", b"a", uid=101, gid=101)
        .file("srv/gone", b"g", uid=102, gid=102)
        .dir("opq", uid=7, gid=7)
        .file("opq/old", b"o", uid=7, gid=7)
        .file("owned-later", b"x", uid=5, gid=5)
        .tarball()
    )
    upper = (
        LayerBuilder()
        .file("srv/.wh.gone", b"")
        .dir("opq", uid=7, gid=7)
        .file("opq/kept", b"k", uid=8, gid=8)  # before the marker, same layer: survives
        .file("opq/.wh..wh..opq", b"")
        .file("owned-later", b"y", uid=65534, gid=65534)
        .tarball()
    )
    result = scan(lower, upper)
    assert "srv/gone" not in result.files
    assert "opq/old" not in result.files
    assert result.files["opq/kept"] == (8, 8, "reg")
    assert result.files["owned-later"] == (65534, 65534, "reg")
    assert result.files["srv/a"] == (101, 101, "reg")


def test_samples_cover_every_owner_and_skip_links_devices_and_mounted_paths() -> None:
    layer = (
        LayerBuilder()
        .dir("data", uid=101, gid=101)
        .file("data/1", b"1", uid=101, gid=101)
        .file("data/2", b"2", uid=101, gid=101)
        .file("data/3", b"3", uid=101, gid=101)
        .file("root-owned", b"r")
        .file("group-only", b"g", gid=42)
        .symlink("link", "data/1", uid=9, gid=9)
        .hardlink("hard", "data/1")
        .dir("dev", uid=3, gid=3)
        .file("dev/x", b"", uid=3, gid=3)
        .dir("etc")
        .file("etc/hosts", b"", uid=4, gid=4)
        .tarball()
    )
    samples = scan(layer).samples()
    assert samples == [
        ("/data", 101, 101),
        ("/data/1", 101, 101),
        ("/group-only", 0, 42),
    ]
    assert len(scan(layer).samples(limit=1)) == 1


def test_the_scan_reads_the_images_passwd_from_the_last_layer_that_has_it() -> None:
    first = LayerBuilder().dir("etc").file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
    second = (
        LayerBuilder().dir("etc").file("etc/passwd", b"root:x:0:0::/:/bin/sh\nweb:x:33:33::/:\n")
    )
    result = scan(first.tarball(), second.tarball())
    assert result.passwd == "root:x:0:0::/:/bin/sh\nweb:x:33:33::/:\n"


PASSWD = "root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\nnobody:x:65534:65534::/:\n"


@pytest.mark.parametrize(
    ("config", "passwd", "expected"),
    [
        ({"config": {"User": "daemon"}}, PASSWD, ("daemon", 1, 1)),
        ({"config": {"User": "1:1"}}, PASSWD, ("daemon", 1, 1)),
        ({"config": {"User": "root"}}, PASSWD, ("nobody", 65534, 65534)),
        (None, PASSWD, ("nobody", 65534, 65534)),
        (None, "root:x:0:0::/:\nwww:x:101:101::/:\n", ("www", 101, 101)),
        (None, None, ("65534:65534", 65534, 65534)),
    ],
    ids=[
        "the image's own non-root User",
        "the image's User as uid:gid",
        "an image running as root: nobody",
        "no User: nobody",
        "no nobody: the first non-root account",
        "no passwd at all: the numeric 65534",
    ],
)
def test_pick_user(config: dict | None, passwd: str | None, expected: tuple) -> None:
    assert pick_user(config, passwd) == expected


@pytest.mark.parametrize(
    ("ref", "short"),
    [
        ("busybox", True),
        ("library/busybox:latest", True),
        ("docker.io/library/busybox:latest", False),
        ("127.0.0.1:5000/library/busybox", False),
        ("localhost/x", False),
    ],
)
def test_is_short_name(ref: str, short: bool) -> None:
    assert is_short_name(ref) is short


def _serve_once(reply: bytes) -> tuple[int, threading.Thread]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def run() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            if reply:
                conn.sendall(reply)
        server.close()

    thread = threading.Thread(target=run)
    thread.start()
    return server.getsockname()[1], thread


def test_http_get_reads_the_status_and_body() -> None:
    port, thread = _serve_once(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\ntoken\n")
    assert http_get("127.0.0.1", port) == (200, b"token\n")
    thread.join()


def test_http_get_without_an_answer_is_status_0() -> None:
    port, thread = _serve_once(b"")  # what the forwarder does while nothing listens inside
    assert http_get("127.0.0.1", port) == (0, b"")
    thread.join()


# --------------------------------------------------------------------------------------
# the checklist


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def _step(step_id: str, status: str, summary: str, seconds: float = 0.0123) -> StepResult:
    result = StepResult(step_id, status, summary)
    result.duration = seconds
    return result


def test_on_a_terminal_the_running_step_is_replaced_by_its_result() -> None:
    stream = Terminal()
    checklist = Checklist(stream, {"TERM": "xterm"})
    checklist.start("pull")
    assert stream.getvalue().endswith("[…] Pull the sample image…")
    checklist.done(_step("pull", PASSED, "x:latest"))
    text = stream.getvalue()
    assert "\r\x1b[2K" in text
    assert "\x1b[32m" in text  # green: a terminal without NO_COLOR
    assert "Pull the sample image" in text.split("\r\x1b[2K", 1)[1]


def test_no_color_and_pipes_get_plain_lines() -> None:
    for stream, env in ((Terminal(), {"NO_COLOR": "1", "TERM": "xterm"}), (io.StringIO(), {})):
        checklist = Checklist(stream, env)
        checklist.start("exit-code")
        checklist.done(_step("exit-code", PASSED, "sh -c 'exit 7' exited 7"))
        lines = stream.getvalue().replace("\r\x1b[2K", "\n").splitlines()
        assert lines[-1] == "[✓]   12 ms  Exit code propagation: sh -c 'exit 7' exited 7"
        assert "\x1b[3" not in stream.getvalue()


def test_a_stream_that_cannot_encode_the_symbols_gets_ascii() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    checklist = Checklist(stream, {})
    checklist.done(_step("owners", FAILED, "owners differ"))
    checklist.done(_step("cleanup", SKIPPED, "not run"))
    stream.flush()
    assert raw.getvalue().decode().splitlines() == [
        "[x]   12 ms  Image files keep their owners: owners differ",
        "[-]          Nothing left behind: not run",
    ]


def test_the_footer_explains_each_failure_once() -> None:
    stream = io.StringIO()
    checklist = Checklist(stream, {})
    report = Report("img", 8080)
    first = _step("host", FAILED, "1 of 9 checks failed: published-ports")
    second = _step("publish-port", FAILED, "cannot publish port 8080")
    for step in (first, second):
        step.error = step.summary
        step.explanation = verify_mod.Explanation(
            "published-ports",
            "rootless doctor published-ports --port 127.0.0.1:8080",
            None,
            "# 1. publish on another host port (user, takes effect now)\nnote 'x'\n",
        )
    report.steps = [first, second]
    checklist.footer(report)
    text = stream.getvalue()
    assert "✗ rootless verify failed at 'Host checks (rootless doctor)': 2 failed, 0 passed" in text
    assert text.count("fix (from the doctor's fix script):") == 1
    assert "(its finding and fix are shown above)" in text
    assert (
        "  the whole script: rootless doctor published-ports --port 127.0.0.1:8080 --fix-script fix.sh"
        in text
    )


# --------------------------------------------------------------------------------------
# options


def test_the_fast_parser_and_typer_accept_the_same_options() -> None:
    import typer

    from rootless.engine.verifycli import verify

    app = typer.Typer(add_completion=False)
    app.command()(verify)
    click_cmd = typer.main.get_command(app)
    typer_flags = {o for p in click_cmd.params for o in p.opts if o.startswith("-")}
    assert {f for flags, _, _ in OPTIONS for f in flags} == typer_flags - {"--help"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {}),
        (["--json"], {"json_output": True}),
        (["--image", "x", "--tls-verify=false"], {"image": "x", "tls_verify": "false"}),
        (["--port=8080", "--image=y"], {"port": "8080", "image": "y"}),
    ],
    ids=["nothing", "a flag", "values after a space and after =", "both with ="],
)
def test_parse_args(args: list[str], expected: dict) -> None:
    assert parse_args(args) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--image"], "option --image requires an argument"),
        (["--json=1"], "option --json does not take a value"),
        (["-x"], "no such option: -x"),
    ],
)
def test_parse_args_refuses(args: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_args(args)


def test_parse_port() -> None:
    assert parse_port(None) is None
    assert parse_port("8080") == 8080
    for bad in ("0", "65536", "x", "-1"):
        with pytest.raises(UsageError):
            parse_port(bad)


def test_verify_is_a_subcommand_on_the_fast_path() -> None:
    assert cli.SUBCOMMANDS["verify"][:2] == ("rootless.engine.verifycli", "verify")
    assert entry.FAST_PATHS[("verify",)] == "rootless.engine.verifycmd:fast_verify"


def test_help_goes_through_typer_and_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["verify", "--help"]) == 0
    out = capsys.readouterr().out
    assert "rootless verify --json" in out
    assert "--image" in out
    assert "--port" in out
