"""Benchmark: a full `rootless doctor --json` (probes on) against `podman info` on this host.

Both run as whole processes, as the same unprivileged user, with the same login-like
environment; runs are interleaved (doctor, podman, doctor, ...) so load changes hit both.
The target is a ratio of at most 0.5 (the doctor takes half the time of `podman info`).

    sudo python3 bench/doctor_bench.py --runs 15            # as root: runs as rootless-test
    python3 bench/doctor_bench.py --rootless ~/.local/bin/rootless

The doctor must be installed non-editable (like tests/run.sh does) for realistic start-up:
an editable install adds an import hook, and an unwritable __pycache__ means every run
compiles from source.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def user_command(argv: list[str], user: pwd.struct_passwd | None) -> list[str]:
    if user is None:
        return argv
    return [
        "setpriv",
        f"--reuid={user.pw_uid}",
        f"--regid={user.pw_gid}",
        "--init-groups",
        "--",
        *argv,
    ]


def login_env(user: pwd.struct_passwd | None, rootless: str) -> dict[str, str]:
    if user is None:
        return {**os.environ, "NO_COLOR": "1"}
    return {
        "HOME": user.pw_dir,
        "USER": user.pw_name,
        "LOGNAME": user.pw_name,
        "PATH": f"{Path(rootless).parent}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "XDG_RUNTIME_DIR": f"/run/user/{user.pw_uid}",
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
    }


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    res = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=300, check=False, cwd="/"
    )
    return time.perf_counter() - start, res


def cpu_of_children() -> float:
    """User+system seconds of all waited-for descendants so far (grandchildren included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--user", default=None, help="run as this user (default as root: rootless-test)"
    )
    parser.add_argument("--rootless", default=str(Path(sys.executable).parent / "rootless"))
    parser.add_argument("--podman", default=shutil.which("podman") or "podman")
    args = parser.parse_args()

    user = None
    name = args.user or ("rootless-test" if os.geteuid() == 0 else None)
    if name is not None:
        user = pwd.getpwnam(name)
    env = login_env(user, args.rootless)
    doctor = user_command([args.rootless, "doctor", "--json"], user)
    podman = user_command([args.podman, "info"], user)

    _, first = timed(doctor, env)
    if first.returncode not in (0, 1):
        sys.stderr.write(f"rootless doctor failed ({first.returncode}): {first.stderr}\n")
        return 2
    doc = json.loads(first.stdout)
    probe = next(f for f in doc["findings"] if f["id"] == "userns-mapping")
    if probe["status"] == "skip":
        sys.stderr.write(f"the probes did not run: {probe['summary']}\n")
        return 2
    _, pod = timed(podman, env)
    if pod.returncode != 0:
        sys.stderr.write(f"podman info failed: {pod.stderr}\n")
        return 2

    for _ in range(args.warmup):
        timed(doctor, env)
        timed(podman, env)
    times: dict[str, list[float]] = {"doctor": [], "podman": []}
    cpu: dict[str, float] = {"doctor": 0.0, "podman": 0.0}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for key, argv in (("doctor", doctor), ("podman", podman)):
            before = cpu_of_children()
            times[key].append(timed(argv, env)[0])
            cpu[key] += cpu_of_children() - before

    who = name or pwd.getpwuid(os.getuid()).pw_name
    print(
        f"host: {os.uname().release}, {os.cpu_count()} cpus, load average {load_before:.2f} -> "
        f"{os.getloadavg()[0]:.2f}; as {who}; {args.runs} runs each, interleaved"
    )
    print(f"probe: {probe['summary']}")
    for key, label in (("doctor", " ".join(doctor[-3:])), ("podman", " ".join(podman[-2:]))):
        t = times[key]
        print(
            f"{label:<32} mean {statistics.mean(t) * 1000:7.1f} ms  median {statistics.median(t) * 1000:7.1f} ms"
            f"  min {min(t) * 1000:7.1f} ms  max {max(t) * 1000:7.1f} ms  cpu {cpu[key] / len(t) * 1000:6.1f} ms/run"
        )
    ratio = statistics.mean(times["doctor"]) / statistics.mean(times["podman"])
    median_ratio = statistics.median(times["doctor"]) / statistics.median(times["podman"])
    cpu_ratio = cpu["doctor"] / cpu["podman"] if cpu["podman"] else float("nan")
    print(
        f"ratio doctor/podman info: {ratio:.2f} (mean), {median_ratio:.2f} (median), "
        f"{cpu_ratio:.2f} (CPU time); target <= 0.50"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
