"""Benchmark: `rootless migrate --check` against `grep -rlw docker` on one generated corpus.

    .venv/bin/python bench/migrate_bench.py [--files 10000] [--dir DIR] [--repeat 3]

Generates a deterministic corpus (shell scripts with and without docker, Makefiles, rc
files, crontabs, env files, compose files, GitHub workflows, Dockerfiles, systemd units
running docker, and files of other kinds: Python, Markdown, JSON, C), then
times both commands on it in the same run (page cache warmed first, best of --repeat) and
prints MB/s for each and the ratio. grep is the floor: it only finds the word, it parses
nothing. The target for rootless is >= 5 MB/s end to end on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCKER_LINES = [
    'docker run --rm -v "$PWD":/src -w /src {img} make test',
    "sudo docker run -d --name {name} -p {port}:80 --restart always {img}",
    "docker build -t {reg}/{name}:$TAG -f Dockerfile .",
    "docker push {reg}/{name}:$TAG",
    "docker exec -it {name} sh -c 'ls /data'",
    "docker-compose -f docker-compose.yml up -d {name}",
    'docker run --rm --user "$(id -u):$(id -g)" -v "$HOME/.cache:/cache" {img} build',
    "docker pull {img}",
    "docker logs --tail 100 {name} 2>&1 | grep -i error || true",
    "docker ps -q --filter name={name} | xargs -r docker rm -f",
    "docker run -d --link db:db --log-driver syslog -v /var/run/docker.sock:/var/run/docker.sock {img}",
    "command -v docker >/dev/null || {{ echo 'docker missing'; exit 1; }}",
    "export DOCKER_HOST=unix:///var/run/docker.sock",
    "docker buildx build --push --platform linux/amd64 -t {reg}/{name}:latest .",
]
PLAIN_LINES = [
    'echo "[$(date +%T)] {name}: starting" >&2',
    'mkdir -p "$BUILD_DIR/{name}" && cd "$BUILD_DIR/{name}"',
    "tar -czf {name}.tar.gz -C dist .",
    "curl -fsSL https://example.com/{name}/release.json -o release.json",
    "rsync -az --delete ./public/ deploy@web:/srv/{name}/",
    "find . -name '*.pyc' -delete",
    'git -C "$SRC" fetch --tags origin',
    "python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt",
    "systemctl --user restart {name}.service",
    'sed -i "s/VERSION=.*/VERSION=$TAG/" config/{name}.env',
    'for f in ./conf.d/*.conf; do install -m 0644 "$f" /etc/{name}/; done',
    'if [ -n "${{DEBUG:-}}" ]; then set -x; fi',
]
IMAGES = [
    "nginx:1.25",
    "redis:7",
    "postgres:16",
    "python:3.12-slim",
    "alpine",
    "quay.io/prometheus/node-exporter:v1.8.1",
    "graylog/graylog:5.2",
    "golang:1.22",
]
NAMES = ["api", "web", "worker", "db", "cache", "proxy", "cron", "auth", "search", "metrics"]


def _fill(rng: random.Random, line: str) -> str:
    return line.format(
        img=rng.choice(IMAGES),
        name=rng.choice(NAMES),
        port=rng.choice([80, 8080, 443, 3000, 9090]),
        reg="registry.example.com",
    )


def _shell(rng: random.Random, size: int, docker: bool) -> str:
    out = ["#!/usr/bin/env bash", "# generated benchmark script", "set -euo pipefail", ""]
    if not docker and rng.random() < 0.1:
        out.insert(2, "# note: this script does not need docker")
    n = 0
    while sum(map(len, out)) < size:
        n += 1
        body = []
        for _ in range(rng.randint(3, 9)):
            pool = DOCKER_LINES if docker and rng.random() < 0.35 else PLAIN_LINES
            body.append("    " + _fill(rng, rng.choice(pool)))
        kind = rng.random()
        if kind < 0.5:
            out += [f"step_{n}() {{", *body, "}", ""]
        elif kind < 0.7:
            out += [
                'case "${1:-}" in',
                f"  step{n})",
                *["  " + b for b in body],
                "    ;;",
                "esac",
                "",
            ]
        elif kind < 0.85:
            out += [f"if [ -f /etc/step{n} ]; then", *body, "fi", ""]
        elif docker:
            out += [
                "cat <<'EOF' > /tmp/notes.txt",
                "# docker is only mentioned here",
                *[b.strip() for b in body],
                "EOF",
                "",
            ]
    return "\n".join(out) + "\n"


def _makefile(rng: random.Random, size: int, docker: bool) -> str:
    out = [
        "DOCKER ?= docker" if docker else "CC ?= cc",
        "IMAGE := acme/app",
        ".PHONY: all build test",
        "",
    ]
    n = 0
    while sum(map(len, out)) < size:
        n += 1
        out.append(f"target{n}: deps")
        for _ in range(rng.randint(2, 6)):
            if docker and rng.random() < 0.4:
                out.append(
                    "\t$(DOCKER) run --rm -v $(CURDIR):/src -u $$(id -u):$$(id -g) $(IMAGE) make -C /src"
                )
            else:
                out.append("\t$(CC) -O2 -o build/$@ src/$@.c && strip build/$@")
        out.append("")
    return "\n".join(out) + "\n"


def _rc(rng: random.Random, size: int) -> str:
    out = [
        "# ~/.bashrc",
        "alias ll='ls -alF'",
        "alias d='docker'",
        "alias dps='docker ps --format \"{{.Names}}\"'",
    ]
    while sum(map(len, out)) < size:
        out.append(f"alias g{len(out)}='git {rng.choice(['status', 'log --oneline', 'diff'])}'")
        out.append(f'export PATH="$HOME/.local/bin{len(out)}:$PATH"')
    return "\n".join(out) + "\n"


def _cron(rng: random.Random) -> str:
    return "MAILTO=ops@example.com\n" + "".join(
        f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * * docker exec {rng.choice(NAMES)} backup >/dev/null\n"
        for _ in range(rng.randint(3, 30))
    )


def _compose(rng: random.Random, size: int) -> str:
    out = ["# generated compose stack", 'version: "3.8"', "", "services:"]
    n = 0
    while sum(map(len, out)) < size:
        n += 1
        name = f"{rng.choice(NAMES)}{n}"
        out += [f"  {name}:", f"    image: {rng.choice(IMAGES)}"]
        if rng.random() < 0.4:
            out += ["    ports:", f'      - "{rng.choice([80, 443, 8080, 3000, 9090])}:80"']
        if rng.random() < 0.15:
            out += ["    volumes:", "      - /var/run/docker.sock:/var/run/docker.sock:ro"]
        elif rng.random() < 0.5:
            out += ["    volumes:", f"      - ./{name}/data:/data", f"      - {name}-cache:/cache"]
        if rng.random() < 0.5:
            out.append(f"    restart: {rng.choice(['always', 'unless-stopped', 'no'])}")
        if rng.random() < 0.3:
            out += [
                "    environment:",
                f"      - {name.upper()}_URL=http://{name}:8080",
                "      - TZ=UTC",
            ]
        if rng.random() < 0.2:
            out += ["    logging:", f"      driver: {rng.choice(['syslog', 'json-file', 'gelf'])}"]
        if rng.random() < 0.1:
            out += ["    ulimits:", "      memlock:", "        soft: -1", "        hard: -1"]
        out.append("")
    return "\n".join(out) + "\n"


def _unit(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    return (
        f"[Unit]\nDescription={name} container\nAfter=docker.service\nRequires=docker.service\n\n"
        f"[Service]\nRestart=always\nExecStartPre=-/usr/bin/docker rm -f {name}\n"
        f"ExecStart=/usr/bin/docker run --rm --name {name} -p {rng.choice([80, 8080, 6379])}:80 \\\n"
        f"    -v /srv/{name}:/data {rng.choice(IMAGES)}\nExecStop=/usr/bin/docker stop {name}\n\n"
        "[Install]\nWantedBy=multi-user.target\n"
    )


def _workflow(rng: random.Random, size: int) -> str:
    out = ["name: ci", "on: [push, pull_request]", "jobs:"]
    n = 0
    while sum(map(len, out)) < size:
        n += 1
        out += [
            f"  job{n}:",
            "    runs-on: ubuntu-latest",
            "    steps:",
            "      - uses: actions/checkout@v4",
        ]
        if rng.random() < 0.3:
            out += ["      - uses: docker/setup-buildx-action@v3", "      - uses: docker/login-action@v3",
                    "        with:", "          registry: ghcr.io"]  # fmt: skip
        out += ["      - name: build", "        run: |"]
        for _ in range(rng.randint(2, 6)):
            pool = DOCKER_LINES if rng.random() < 0.4 else PLAIN_LINES
            out.append("          " + _fill(rng, rng.choice(pool)))
    return "\n".join(out) + "\n"


def _dockerfile(rng: random.Random) -> str:
    base = rng.choice(IMAGES)
    return (
        f"ARG BASE={base}\nFROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out/app ./cmd/app\n"
        "FROM ${BASE}\nCOPY --from=build /out/app /usr/local/bin/app\n"
        + (
            "HEALTHCHECK CMD wget -qO- localhost:8080/health || exit 1\n"
            if rng.random() < 0.3
            else ""
        )
        + 'ENTRYPOINT ["/usr/local/bin/app"]\n'
    )


def _other(rng: random.Random, size: int, ext: str) -> str:
    words = ["alpha", "beta", "gamma", "delta", "value", "return", "config", "index", "buffer"]
    lines = []
    while sum(map(len, lines)) < size:
        lines.append(" ".join(rng.choice(words) for _ in range(rng.randint(4, 14))))
    if ext == ".md" and rng.random() < 0.5:
        lines.insert(3, "```sh\ndocker run --rm nginx\n```")
    return "\n".join(lines) + "\n"


def generate(root: Path, files: int, seed: int = 7) -> tuple[int, int]:
    rng = random.Random(seed)
    total = 0
    for i in range(files):
        d = root / f"proj{i // 100:03d}" / rng.choice(["scripts", "ci", "deploy", "src", "docs"])
        d.mkdir(parents=True, exist_ok=True)
        size = int(rng.lognormvariate(8.3, 0.7))  # median ~4 kB, long tail
        r = rng.random()
        if r < 0.22:
            path, text = d / f"deploy{i}.sh", _shell(rng, size, docker=True)
        elif r < 0.45:
            path, text = d / f"build{i}.sh", _shell(rng, size, docker=False)
        elif r < 0.53:
            path, text = (
                d / f"Makefile{'' if i % 2 else '.' + str(i)}",
                _makefile(rng, size, docker=i % 3 == 0),
            )
            if path.name != "Makefile":
                path = d / f"rules{i}.mk"
        elif r < 0.56:
            path, text = d / f"team{i}.aliases.bash", _rc(rng, size // 2)
        elif r < 0.58:
            path, text = d / f"jobs{i}.cron", _cron(rng)
        elif r < 0.60:
            path, text = (
                d / f"app{i}.env",
                "DOCKER_HOST=unix:///var/run/docker.sock\nAPP_PORT=8080\n",
            )
        elif r < 0.64:
            path, text = d / f"docker-compose.{i}.yml", _compose(rng, size)
        elif r < 0.67:
            wf = d / ".github" / "workflows"
            wf.mkdir(parents=True, exist_ok=True)
            path, text = wf / f"ci{i}.yml", _workflow(rng, size)
        elif r < 0.70:
            path, text = d / f"Dockerfile.{i}", _dockerfile(rng)
        elif r < 0.71:
            path, text = d / f"svc{i}.service", _unit(rng)
        else:
            ext = rng.choice([".py", ".md", ".json", ".c", ".txt"])
            path, text = d / f"file{i}{ext}", _other(rng, size, ext)
        data = text.encode()
        path.write_bytes(data)
        total += len(data)
    return files, total


def _time(argv: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and the CPU time (user+sys, all processes) of that run."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, (wall, cpu))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--dir", type=Path, default=None, help="corpus directory (default: a temp dir)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rootless", default=str(Path(sys.executable).parent / "rootless"))
    args = ap.parse_args()
    tmp = None
    root = args.dir
    if root is None:
        tmp = tempfile.mkdtemp(prefix="rootless-bench-")
        root = Path(tmp)
    try:
        t = time.perf_counter()
        files, total = generate(root, args.files)
        print(
            f"corpus: {files} files, {total / 1e6:.1f} MB in {root} (generated in {time.perf_counter() - t:.1f}s)"
        )
        grep = shutil.which("grep") or "grep"
        subprocess.run(
            [grep, "-rlw", "docker", str(root)], stdout=subprocess.DEVNULL, check=False
        )  # warm the cache
        load0 = os.getloadavg()[0]
        t_grep, c_grep = _time([grep, "-rlw", "docker", str(root)], args.repeat)
        t_rl, c_rl = _time([args.rootless, "migrate", "--check", str(root)], args.repeat)
        load1 = os.getloadavg()[0]
        mb = total / 1e6
        cores = os.cpu_count() or 1
        print(f"cores: {cores}; load average before/after: {load0:.2f} / {load1:.2f}")
        print(
            f"grep -rlw docker          {t_grep:7.2f} s wall {c_grep:7.2f} s cpu  {mb / t_grep:8.1f} MB/s"
        )
        print(
            f"rootless migrate --check  {t_rl:7.2f} s wall {c_rl:7.2f} s cpu  {mb / t_rl:8.1f} MB/s"
        )
        print(f"ratio (rootless / grep wall time): {t_rl / t_grep:.1f}x")
        # what the same CPU work gives when this run has the cores to itself
        idle = mb / (c_rl / cores) if c_rl else float("inf")
        print(
            f"rootless CPU cost: {c_rl / mb:.2f} cpu-s/MB -> {idle:.1f} MB/s on {cores} idle cores"
        )
        print(f"target >= 5 MB/s (measured wall): {'met' if mb / t_rl >= 5 else 'NOT met'}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
