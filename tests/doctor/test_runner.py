"""The runner: concurrency, timeouts, crashes, dependencies, strict test hosts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from doctor_helpers import HOSTS

from rootless.doctor.host import HostFileError, StrictHostError
from rootless.doctor.model import Outcome, Status, ok
from rootless.doctor.registry import CheckSpec
from rootless.doctor.runner import Context, Facts, run
from rootless.doctor.snapshot import SnapshotHost


def spec(id: str, func, **kw) -> CheckSpec:  # type: ignore[no-untyped-def]
    return CheckSpec(id=id, title=id.title(), func=func, why=f"why {id}", **kw)


@pytest.fixture
def host() -> SnapshotHost:
    return SnapshotHost(HOSTS / "rhel9-ok")


def test_independent_checks_run_concurrently(host: SnapshotHost) -> None:
    barrier = threading.Barrier(3, timeout=30)

    def meet(ctx: Context) -> Outcome:
        barrier.wait()  # only returns when all three run at the same time
        return ok("met")

    findings = run(host, [spec(f"c{i}", meet) for i in range(3)]).findings
    assert [f.status for f in findings] == [Status.OK] * 3


def test_a_crash_becomes_an_error_finding_and_the_run_goes_on(host: SnapshotHost) -> None:
    def boom(ctx: Context) -> Outcome:
        raise ZeroDivisionError("division by zero")

    findings = run(host, [spec("boom", boom), spec("fine", lambda ctx: ok("fine"))]).findings
    assert findings[0].status is Status.ERROR
    assert findings[0].summary == "the check crashed: ZeroDivisionError: division by zero"
    assert any("Traceback" in d for d in findings[0].details)
    assert findings[1].status is Status.OK


def test_an_unusable_host_file_is_reported_without_a_traceback(host: SnapshotHost) -> None:
    def reads(ctx: Context) -> Outcome:
        raise HostFileError("/etc/subuid", "contains binary data (NUL bytes), not text")

    (finding,) = run(host, [spec("reads", reads)]).findings
    assert finding.status is Status.ERROR
    assert (
        finding.summary
        == "cannot judge this: /etc/subuid contains binary data (NUL bytes), not text"
    )
    assert finding.details == ()


def test_a_hanging_check_times_out(host: SnapshotHost) -> None:
    never = threading.Event()

    def hang(ctx: Context) -> Outcome:
        never.wait()
        return ok("late")

    try:
        findings = run(
            host, [spec("hang", hang, timeout=0.2), spec("fine", lambda ctx: ok("fine"))]
        ).findings
    finally:
        never.set()
    assert findings[0].status is Status.ERROR
    assert findings[0].summary == "the check did not finish within 0.2s"
    assert findings[1].status is Status.OK


@pytest.mark.parametrize(
    ("dep_status", "expected"),
    [
        pytest.param(Status.OK, Status.OK, id="ok dependency lets it run"),
        pytest.param(Status.WARN, Status.OK, id="warn dependency lets it run"),
        pytest.param(Status.FAIL, Status.SKIP, id="failed dependency skips it"),
        pytest.param(Status.ERROR, Status.SKIP, id="crashed dependency skips it"),
    ],
)
def test_requires(host: SnapshotHost, dep_status: Status, expected: Status) -> None:
    specs = [
        spec("dep", lambda ctx: Outcome(dep_status, "dep says so")),
        spec("child", lambda ctx: ok("ran"), requires=("dep",)),
    ]
    child = run(host, specs).findings[1]
    assert child.status is expected
    if expected is Status.SKIP:
        assert child.summary == f"skipped: needs dep ({dep_status.value})"


def test_after_sees_the_finding_of_its_dependency(host: SnapshotHost) -> None:
    seen: list[str] = []

    def child(ctx: Context) -> Outcome:
        dep = ctx.result("dep")
        seen.append(dep.summary if dep else "missing")
        return ok("ran")

    run(
        host,
        [
            spec("child", child, after=("dep",)),
            spec("dep", lambda ctx: Outcome(Status.FAIL, "broken")),
        ],
    )
    assert seen == ["broken"]


def test_probes_are_skipped_with_no_probe(host: SnapshotHost) -> None:
    (finding,) = run(
        host, [spec("probe", lambda ctx: ok("probed"), probe=True)], probes=False
    ).findings
    assert finding.status is Status.SKIP
    assert finding.summary == "skipped: probes disabled (--no-probe)"


def test_findings_come_back_in_the_order_given(host: SnapshotHost) -> None:
    gate = threading.Event()

    def slow(ctx: Context) -> Outcome:
        gate.wait(30)
        return ok("slow")

    def fast(ctx: Context) -> Outcome:
        gate.set()
        return ok("fast")

    findings = run(host, [spec("slow", slow), spec("fast", fast)]).findings
    assert [f.id for f in findings] == ["slow", "fast"]


def test_a_test_host_asked_for_an_unscripted_command_fails_the_test(host: SnapshotHost) -> None:
    def runs(ctx: Context) -> Outcome:
        ctx.host.run(["rm", "-rf", "/"])
        return ok("never")

    with pytest.raises(StrictHostError, match="unexpected command"):
        run(host, [spec("runs", runs)])


def test_facts_are_computed_once_per_run(host: SnapshotHost) -> None:
    calls: list[int] = []

    def fact(h: object) -> int:
        calls.append(1)
        return 42

    facts = Facts(host)

    def uses(ctx: Context) -> Outcome:
        return ok(str(ctx.fact(fact)))

    findings = run(host, [spec(f"u{i}", uses) for i in range(5)], facts=facts).findings
    assert {f.summary for f in findings} == {"42"}
    assert calls == [1]


def test_doctor_checks_declare_sane_timeouts() -> None:
    from rootless.doctor.registry import all_checks

    for s in all_checks():
        assert 0 < s.timeout <= 60, s.id


def test_real_checks_see_dependencies_even_when_finishing_out_of_order(tmp_path: Path) -> None:
    from rootless.doctor import diagnose

    findings = diagnose(SnapshotHost(HOSTS / "centos7-userns-off"), ["overlay-mount"]).findings
    assert [f.id for f in findings] == ["not-root", "user-namespaces", "overlay-mount"]
    assert findings[-1].summary == "skipped: needs user-namespaces (fail)"
