"""Pull benchmark: ``rootless engine pull`` against ``podman pull`` in the same run.

Both pull the same images from the same loopback ``docker-registry`` as the unprivileged
test user (``rootless-test``, real /etc/subuid range), each run into a fresh, empty store
(podman: rootless, overlay driver, its own --root/--runroot), and the script prints the
median wall times and the ratio.

* small: the suite's busybox image (one ~1 MB gzip layer);
* big: a Debian bookworm ``debootstrap --variant=minbase`` (+ python3, perl) root
  filesystem split into three gzip layers (~300 MB, ~10k files). The debootstrap output is
  cached in /var/tmp/rootless-bench-cache.

Run as root (it starts the registry, creates the test user, runs debootstrap once)::

    sudo .venv/bin/python bench/pull_bench.py [--runs 5] [--skip-big]

Targets (issue 4): big ≤ 0.7× podman, small ≤ 0.5× podman.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import harness  # noqa: E402
import oci_registry as reg_mod  # noqa: E402

CACHE = Path("/var/tmp/rootless-bench-cache")
SUITE = "bookworm"


def debootstrap_rootfs() -> Path:
    rootfs = CACHE / "rootfs"
    done = CACHE / "rootfs.done"
    if done.exists():
        return rootfs
    CACHE.mkdir(parents=True, exist_ok=True)
    if rootfs.exists():
        shutil.rmtree(rootfs)
    print("building the big image's root filesystem with debootstrap (once)...", flush=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=python3,perl", SUITE, str(rootfs)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    done.write_text("ok\n")
    return rootfs


def _tar(rootfs: Path, members: list[str], exclude: list[str]) -> bytes:
    argv = ["tar", "--numeric-owner", "--xattrs", "--sort=name", "-C", str(rootfs), "-cf", "-"]
    argv += [f"--exclude={e}" for e in exclude]
    argv += members
    return subprocess.run(argv, check=True, capture_output=True).stdout


def _gzip(data: bytes) -> bytes:
    return subprocess.run(
        ["gzip", "-6", "-n", "-c"], input=data, check=True, capture_output=True
    ).stdout


def push_big(server: reg_mod.RegistryServer) -> tuple[str, dict[str, float]]:
    rootfs = debootstrap_rootfs()
    layers = [
        _tar(rootfs, ["."], ["./usr/lib", "./usr/share", "./proc/*", "./sys/*", "./dev/*"]),
        _tar(rootfs, ["./usr/lib"], []),
        _tar(rootfs, ["./usr/share"], []),
    ]
    blobs = [(t, _gzip(t), reg_mod.OCI_GZIP) for t in layers]
    img = reg_mod.push_image(server, "bench/debian-big", "latest", blobs)
    files = sum(
        int(
            subprocess.run(
                ["tar", "-tf", "-"], input=t, capture_output=True, check=True
            ).stdout.count(b"\n")
        )
        for t in layers
    )
    stats = {
        "compressed_mb": sum(len(b[1]) for b in blobs) / 1e6,
        "uncompressed_mb": sum(len(t) for t in layers) / 1e6,
        "entries": files,
        "layers": len(layers),
    }
    return img.ref(server.host), stats


def timed(user: harness.TestUser, argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    res = user.run(argv, env=env, timeout=900)
    took = time.perf_counter() - start
    if res.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({res.returncode}): {res.stderr[-2000:]}")
    return took


def run_rootless(user: harness.TestUser, ref: str, work: Path) -> float:
    store = work / f"rootless-store-{len(list(work.glob('rootless-store-*')))}"
    env = {
        "ROOTLESS_STORE": str(store),
        "CONTAINERS_REGISTRIES_CONF": str(work / "registries.conf"),
        "XDG_CONFIG_HOME": str(work / "cfg"),
    }
    took = timed(user, [user.rootless, "engine", "pull", "-q", "--tls-verify=false", ref], env)
    user.remove_tree(store)
    return took


def run_podman(user: harness.TestUser, ref: str, work: Path) -> float:
    # a fresh --root per run: podman's pause process may keep the previous one mounted
    n = len(list(work.glob("podman-root-*")))
    root, runroot = work / f"podman-root-{n}", work / f"podman-run-{n}"
    env = {
        "CONTAINERS_REGISTRIES_CONF": str(work / "registries.conf"),
        "XDG_CONFIG_HOME": str(work / "cfg"),
    }
    base = ["podman", "--root", str(root), "--runroot", str(runroot), "--storage-driver", "overlay"]
    took = timed(user, [*base, "pull", "-q", "--tls-verify=false", ref], env)
    user.run([*base, "unshare", "rm", "-rf", str(root), str(runroot)], env=env, timeout=300)
    return took


def bench(user: harness.TestUser, name: str, ref: str, runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="rootless-bench-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        (work / "registries.conf").write_text("")
        (work / "cfg").mkdir()
        for p in (work, work / "cfg", work / "registries.conf"):
            os.chown(p, user.uid, user.gid)
        ours: list[float] = []
        theirs: list[float] = []
        # warm-up (page cache, registry), then alternate so drift hits both equally
        run_rootless(user, ref, work)
        run_podman(user, ref, work)
        for _ in range(runs):
            ours.append(run_rootless(user, ref, work))
            theirs.append(run_podman(user, ref, work))
    r, p = statistics.median(ours), statistics.median(theirs)
    print(
        f"{name:6s} rootless engine pull: median {r:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in ours)})"
    )
    print(
        f"{name:6s} podman pull:          median {p:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in theirs)})"
    )
    print(f"{name:6s} ratio rootless/podman: {r / p:.2f}x", flush=True)
    return {
        "rootless_s": ours,
        "podman_s": theirs,
        "rootless_median": r,
        "podman_median": p,
        "ratio": r / p,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print(
            "run as root: it starts a registry and drops to the test user with setpriv",
            file=sys.stderr,
        )
        return 2
    user = harness.make_test_user(with_subids=True)
    server = reg_mod.start_registry()
    results: dict[str, object] = {}
    try:
        samples = reg_mod.build_samples(server)
        targets = {"small": (samples.ref("busybox"), 0.5, {})}
        if not args.skip_big:
            big_ref, big_stats = push_big(server)
            print(f"big image: {json.dumps(big_stats)}")
            targets["big"] = (big_ref, 0.7, big_stats)
        for name, (ref, target, stats) in targets.items():
            res = bench(user, name, ref, args.runs)
            res.update({"target": target, "image": stats, "met": res["ratio"] <= target})
            results[name] = res
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pull_bench.json").write_text(json.dumps(results, indent=2))
    for name, res in results.items():
        assert isinstance(res, dict)
        print(
            f"{name}: {res['ratio']:.2f}x podman (target <= {res['target']}x): {'met' if res['met'] else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
