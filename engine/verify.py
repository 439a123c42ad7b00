"""``rootless verify``: prove in one command that rootless containers work on this host.

The seed's proof is ``podman run -p 8080:80 -d nginx`` as an ordinary user. This module
gives the same proof with the embedded engine (no podman needed), step by step, each timed:

1. ``host``: the doctor checks that matter for running a container (through the
   doctor's public API, with the port about to be published);
2. ``pull``: the sample image through the engine's registry client and store (sub-id
   mapping required: a single-id unpack would squash the owners this run proves);
3. ``user-namespace``: a namespace mapped with newgidmap/newuidmap; its ``uid_map`` and
   ``gid_map`` read back from inside must equal ``/etc/subuid`` and ``/etc/subgid``;
4. ``owners``: the non-root owners recorded in the image's layer tar headers (e.g. 101 and
   65534) are what ``stat`` shows inside a container;
5. ``run-root`` and ``run-user``: ``id`` as root and as a non-root user of the image;
6. ``publish-port``: a detached container serves HTTP on port 80; ``-p 127.0.0.1:PORT:80``
   (PORT free, chosen here) answers on the host with a token only that container knows;
7. ``exit-code``: ``sh -c 'exit 7'`` exits 7;
8. ``cleanup``: no container directory, name, transient file, process or mount is left,
   and the port is free again.

A failed step keeps its real error text and the doctor check that explains it (named by
the error, e.g. ``uidmap-helpers``, else by the step); at the end that check's finding and
its fix (rendered by the doctor's fix-script machinery) are attached. Every id used here
is a registered doctor check (``tests/doctor/test_registry.py`` reads this file).

Constraints: the namespace work forks (:func:`rootless.engine.userns.fork_in_userns`),
which a process with running threads must not do; the doctor and the pull use threads, so
they finish (and their threads are joined) before any fork, and the explanations, which run
doctor checks again, come after the last fork.
"""

from __future__ import annotations

import contextlib
import os
import time

from rootless.errors import RootlessError

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from rootless.doctor import Finding
    from rootless.engine.containers import ImageSource
    from rootless.engine.store import ImageRecord, Store

DEFAULT_IMAGE = "docker.io/library/busybox:latest"
HOST_IP = "127.0.0.1"
CONTAINER_PORT = 80

#: the checks that decide whether a container can run (and their dependencies)
HOST_CHECKS = (
    "not-root",
    "home-dir",
    "host-environment",
    "user-namespaces",
    "apparmor-userns",
    "subid-ranges",
    "uidmap-helpers",
    "userns-mapping",
    "published-ports",
)
#: the check that explains a failed step whose error names none
STEP_CHECKS = {
    "user-namespace": "userns-mapping",
    "owners": "subid-ranges",
}

STEPS: tuple[tuple[str, str], ...] = (
    ("host", "Host checks (rootless doctor)"),
    ("pull", "Pull the sample image"),
    ("user-namespace", "User namespace with the full sub-id range"),
    ("owners", "Image files keep their owners"),
    ("run-root", "Run as root in the container"),
    ("run-user", "Run as a non-root user of the image"),
    ("publish-port", "Publish a port to an HTTP server in the container"),
    ("exit-code", "Exit code propagation"),
    ("cleanup", "Nothing left behind"),
)
TITLES = dict(STEPS)

#: an HTTP server on port 80 in the image (busybox httpd, else python3); SIGTERM ends it
#: (the shell is PID 1 of its namespace: only signals it handles reach it)
SERVER_SCRIPT = r"""
d=/tmp/rootless-verify
mkdir -p "$d" && echo "$1" > "$d/index.html" || exit 1
if command -v httpd >/dev/null 2>&1; then httpd -f -p 80 -h "$d" &
elif command -v busybox >/dev/null 2>&1; then busybox httpd -f -p 80 -h "$d" &
elif command -v python3 >/dev/null 2>&1; then (cd "$d" && exec python3 -m http.server 80) &
else echo "no HTTP server in this image (httpd, busybox or python3)" >&2; exit 127
fi
pid=$!
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
"""
#: how long the HTTP server may take to answer
SERVE_TIMEOUT = 20.0
#: at most this many files are compared in the owners step
MAX_OWNER_SAMPLES = 16
#: image paths the runtime mounts over (their image owners are not what stat shows)
_MOUNTED = ("dev", "proc", "sys", "etc/hosts", "etc/hostname", "etc/resolv.conf")

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"


class StepFailed(RootlessError):
    """A step's proof did not hold (the message says what was seen instead)."""


class Explanation:
    """The doctor's word on a failed step: the check, its finding and its fix."""

    __slots__ = ("check_id", "command", "finding", "script", "snippet")

    def __init__(
        self,
        check_id: str,
        command: str,
        finding: Finding | None,
        snippet: str = "",
        script: str = "",
    ) -> None:
        self.check_id = check_id
        #: the doctor command that shows the same finding
        self.command = command
        self.finding = finding
        #: the fix's steps, rendered by the doctor's templates
        self.snippet = snippet
        #: the whole fix script (what ``rootless doctor --fix-script`` writes)
        self.script = script

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.check_id,
            "command": self.command,
            "finding": self.finding.to_json() if self.finding is not None else None,
            "fix_snippet": self.snippet,
            "fix_script": self.script,
        }


class StepResult:
    """One step of the proof."""

    __slots__ = (
        "check_id",
        "details",
        "duration",
        "error",
        "explanation",
        "findings",
        "id",
        "status",
        "summary",
        "title",
    )

    def __init__(self, step_id: str, status: str = SKIPPED, summary: str = "") -> None:
        self.id = step_id
        self.title = TITLES[step_id]
        self.status = status
        self.summary = summary
        self.duration = 0.0
        self.details: list[str] = []
        #: the real error text of a failure
        self.error: str | None = None
        #: the doctor check that explains a failure
        self.check_id: str | None = None
        self.explanation: Explanation | None = None
        #: the host step's failing findings (each is its own explanation)
        self.findings: list[Finding] = []

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "duration_ms": round(self.duration * 1000, 1),
            "summary": self.summary,
            "details": list(self.details),
            "error": self.error,
            "check": self.explanation.to_json() if self.explanation is not None else None,
        }


class Report:
    """Everything one ``rootless verify`` run found."""

    def __init__(self, image: str, port: int) -> None:
        self.image = image
        self.port = port
        self.image_name = ""
        self.image_id = ""
        self.steps: list[StepResult] = []
        self.checks: list[Finding] = []
        self.total = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(s.status == PASSED for s in self.steps)

    @property
    def failed_steps(self) -> list[StepResult]:
        return [s for s in self.steps if s.failed]


# --------------------------------------------------------------------------------------
# small helpers


def is_short_name(ref: str) -> bool:
    """A reference whose registry comes from registries.conf (``busybox``, ``library/x``)."""
    first, slash, _ = ref.partition("/")
    return not slash or not ("." in first or ":" in first or first == "localhost")


def free_port(ip: str = HOST_IP) -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


def join_threads(timeout: float = 10.0) -> list[str]:
    """Wait for the threads the doctor or the pull left (a fork needs a single thread);
    the names of those still running after ``timeout``."""
    import threading  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    main = threading.main_thread()
    for thread in threading.enumerate():
        if thread is not main:
            thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in threading.enumerate() if t is not main and t.is_alive()]


def _read_fd(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks: list[bytes] = []
    while True:
        data = os.read(fd, 65536)
        if not data:
            return b"".join(chunks).decode(errors="replace")
        chunks.append(data)


def http_get(ip: str, port: int, timeout: float = 5.0) -> tuple[int, bytes]:
    """(status, body) of ``GET /index.html`` (HTTP/1.0); (0, b"") when the connection closes
    without an answer (the forwarder closes the client while nothing listens inside)."""
    import socket  # noqa: PLC0415

    with socket.create_connection((ip, port), timeout=timeout) as sock:
        sock.sendall(b"GET /index.html HTTP/1.0\r\nHost: rootless-verify\r\n\r\n")
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return 0, b""
    return int(parts[1]), body


# --------------------------------------------------------------------------------------
# the image's layers: owners from the tar headers, and its /etc/passwd


class LayerScan:
    """The final state of an image's files as its layer headers describe it."""

    def __init__(self) -> None:
        #: path -> (uid, gid, kind) with kind "reg", "dir", "sym", "link" or "other"
        self.files: dict[str, tuple[int, int, str]] = {}
        self.passwd: str | None = None

    def samples(self, limit: int = MAX_OWNER_SAMPLES) -> list[tuple[str, int, int]]:
        """Up to ``limit`` regular files and directories not owned by 0:0, covering every
        owner pair (two paths each, in path order) - what the owners step compares."""
        by_owner: dict[tuple[int, int], list[str]] = {}
        for path in sorted(self.files):
            uid, gid, kind = self.files[path]
            if (uid, gid) == (0, 0) or kind not in ("reg", "dir"):
                continue
            if not path.isprintable() or any(
                path == m or path.startswith(m + "/") for m in _MOUNTED
            ):
                continue
            by_owner.setdefault((uid, gid), []).append(path)
        out: list[tuple[str, int, int]] = []
        for rank in range(2):
            for (uid, gid), paths in sorted(by_owner.items()):
                if rank < len(paths) and len(out) < limit:
                    out.append(("/" + paths[rank], uid, gid))
        return sorted(out)

    def apply(self, reader: Any) -> None:
        """Apply one layer's headers: whiteouts and opaque markers delete only what lower
        layers put there (entries of the same layer survive, as in the applier)."""
        seen: set[str] = set()
        from rootless.engine.layers import clean_name  # noqa: PLC0415

        while True:
            entry = reader.next()
            if entry is None:
                return
            name = clean_name(entry.name)
            parent, _, base = name.rpartition("/")
            if base == ".wh..wh..opq":
                prefix = parent + "/" if parent else ""
                for path in [p for p in self.files if p.startswith(prefix) and p not in seen]:
                    del self.files[path]
                continue
            if base.startswith(".wh."):
                gone = (parent + "/" if parent else "") + base[4:]
                for path in [p for p in self.files if p == gone or p.startswith(gone + "/")]:
                    del self.files[path]
                continue
            kind = (
                "reg"
                if entry.isreg()
                else "dir"
                if entry.isdir()
                else "sym"
                if entry.issym()
                else "link"
                if entry.islnk()
                else "other"
            )
            self.files[name] = (entry.uid, entry.gid, kind)
            seen.add(name)
            if name == "etc/passwd":
                self.passwd = (
                    reader.read_data().decode(errors="replace")
                    if kind == "reg" and entry.size <= 1 << 20
                    else None
                )


def scan_layers(store: Store, record: ImageRecord) -> LayerScan:
    """Read every layer's tar headers (no file is written) in manifest order."""
    import subprocess  # noqa: PLC0415

    from rootless.engine.layers import LayerSource, TarReader, sniff_bytes  # noqa: PLC0415

    manifest = store.read_json_blob(record.manifest_digest)
    scan = LayerScan()
    for desc in manifest.get("layers") or []:
        digest = str(desc["digest"])
        with open(store.blob_path(digest), "rb", buffering=0) as fh:
            kind = sniff_bytes(fh.read(4))
            fh.seek(0)
            proc = None
            if kind == "zstd" and not _have_zstandard():
                proc = subprocess.Popen(["zstd", "-dc"], stdin=fh, stdout=subprocess.PIPE)
                assert proc.stdout is not None
                stream: Any = proc.stdout
            else:
                stream = LayerSource(fh, kind, "", digest).stream()
            try:
                scan.apply(TarReader(stream))
            finally:
                if proc is not None:
                    assert proc.stdout is not None
                    proc.stdout.close()
                    proc.wait()
    return scan


def _have_zstandard() -> bool:
    try:
        import zstandard  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def parse_passwd(text: str) -> list[tuple[str, int, int]]:
    """(name, uid, gid) of each well-formed /etc/passwd line."""
    out = []
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[2].isdigit() and parts[3].isdigit():
            out.append((parts[0], int(parts[2]), int(parts[3])))
    return out


def pick_user(config: dict[str, Any] | None, passwd: str | None) -> tuple[str, int, int]:
    """The non-root user to run as: the image's own ``User`` when it is not root, else
    ``nobody``, else the first non-root account, else the numeric 65534 (no passwd)."""
    accounts = parse_passwd(passwd or "")
    image_user = str(((config or {}).get("config") or {}).get("User") or "")
    name = image_user.split(":", 1)[0]
    if name and name not in ("0", "root"):
        for account in accounts:
            if name in (account[0], str(account[1])):
                return account
    for account in accounts:
        if account[0] == "nobody":
            return account
    for account in accounts:
        if account[1] != 0:
            return account
    return ("65534:65534", 65534, 65534)


# --------------------------------------------------------------------------------------
# the run


class Verifier:
    """Runs the steps in order; ``on_start``/``on_done`` see each step as it happens."""

    def __init__(
        self,
        image: str = DEFAULT_IMAGE,
        *,
        tls_verify: bool | None = None,
        port: int | None = None,
        on_start: Callable[[str], None] | None = None,
        on_done: Callable[[StepResult], None] | None = None,
    ) -> None:
        self.image = image
        self.tls_verify = tls_verify
        self.port = port if port is not None else free_port()
        self.on_start = on_start or (lambda _step: None)
        self.on_done = on_done or (lambda _result: None)
        self.token = os.urandom(6).hex()
        self.report = Report(image, self.port)
        self.store: Store | None = None
        self.record: ImageRecord | None = None
        self.source: ImageSource | None = None
        self.scan: LayerScan | None = None
        self.names: list[str] = []
        self.doctor_host: Any = None
        #: the publish step got the port (so the clean-up expects it free again)
        self.published = False

    # ---------------------------------------------------------------- orchestration
    def run(self) -> Report:
        from rootless.engine.userns import prctl  # noqa: PLC0415

        t0 = time.monotonic()
        # orphans of the containers (should C outlive the supervisor) come to this process,
        # so the clean-up step sees (and reaps) anything left running
        with contextlib.suppress(OSError):
            prctl(_PR_SET_CHILD_SUBREAPER, 1)
        try:
            self._run_steps()
        finally:
            with contextlib.suppress(OSError):
                prctl(_PR_SET_CHILD_SUBREAPER, 0)
        self._explain()
        self.report.total = time.monotonic() - t0
        return self.report

    def _run_steps(self) -> None:
        order = [s for s, _ in STEPS]
        blocked: str | None = None
        created = False
        for step_id in order:
            if step_id == "cleanup":
                if created:
                    self._step(step_id, self.step_cleanup)
                else:
                    self._skip(step_id, "not run: no container was started")
                continue
            if blocked is not None:
                self._skip(step_id, f"not run: {blocked}")
                continue
            if step_id in ("owners", "run-root", "run-user", "publish-port", "exit-code"):
                created = True
            result = self._step(step_id, getattr(self, "step_" + step_id.replace("-", "_")))
            if result.failed:
                blocked = self._blocks(step_id, result)

    def _blocks(self, step_id: str, result: StepResult) -> str | None:
        """Why the later steps cannot run after ``step_id`` failed (None: they still can)."""
        if step_id == "host":
            if any(f.id == "not-root" for f in result.findings):
                return "rootless verify proves rootless containers: run it as your own user"
            return None
        if step_id == "pull" and self.source is None:
            return "no image to run"
        if step_id in ("user-namespace", "run-root"):
            return f"{result.title.lower()} failed"
        return None

    def _step(self, step_id: str, fn: Callable[[StepResult], None]) -> StepResult:
        result = StepResult(step_id, PASSED)
        self.on_start(step_id)
        t0 = time.monotonic()
        try:
            fn(result)
        except OSError as exc:  # e.g. the store or /proc unreadable: the real text
            result.status = FAILED
            result.error = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
            result.summary = result.summary or result.error
            result.check_id = result.check_id or STEP_CHECKS.get(step_id)
        except RootlessError as exc:
            result.status = FAILED
            result.error = exc.message
            result.check_id = exc.check_id or result.check_id or STEP_CHECKS.get(step_id)
            if not result.summary:
                result.summary = exc.message
            if exc.hint:
                result.details.append(f"hint: {exc.hint}")
        result.duration = time.monotonic() - t0
        self.report.steps.append(result)
        self.on_done(result)
        return result

    def _skip(self, step_id: str, reason: str) -> None:
        result = StepResult(step_id, SKIPPED, reason)
        self.report.steps.append(result)
        self.on_done(result)

    # ---------------------------------------------------------------- 1. host checks
    def step_host(self, result: StepResult) -> None:
        from rootless.doctor import Status, diagnose  # noqa: PLC0415

        ids = list(HOST_CHECKS)
        if is_short_name(self.image):
            ids.append("short-name-resolution")
        diag = diagnose(ids=ids, params={"ports": [f"{HOST_IP}:{self.port}"]})
        self.doctor_host = diag.host
        findings = diag.findings
        self.report.checks = findings
        left = join_threads()
        counts = {s: sum(1 for f in findings if f.status is s) for s in Status}
        for f in findings:
            if f.status.is_problem:
                result.details.append(f"{f.status.value}: {f.id}: {f.summary}")
        bad = [f for f in findings if f.status in (Status.FAIL, Status.ERROR)]
        if left:
            result.details.append(f"doctor threads still running: {', '.join(left)}")
        if bad:
            result.findings = bad
            names = ", ".join(f.id for f in bad)
            raise StepFailed(
                f"{len(bad)} of {len(findings)} checks failed: {names}",
                check_id=bad[0].id,
            )
        parts = [f"{counts[Status.OK]} ok"]
        if counts[Status.WARN]:
            parts.append(f"{counts[Status.WARN]} with warnings")
        if counts[Status.SKIP]:
            parts.append(f"{counts[Status.SKIP]} not applicable")
        result.summary = f"{len(findings)} checks: {', '.join(parts)}"

    # ---------------------------------------------------------------- 2. pull
    def step_pull(self, result: StepResult) -> None:
        from rootless.engine.pull import Reporter, pull  # noqa: PLC0415
        from rootless.engine.pullcmd import human_size  # noqa: PLC0415
        from rootless.engine.store import Store  # noqa: PLC0415

        self.store = Store()
        try:
            pulled = pull(
                self.image,
                store=self.store,
                tls_verify=self.tls_verify,
                reporter=Reporter(),
                mapping="full",
            )
        except RootlessError as exc:
            join_threads()
            if exc.check_id is None and is_short_name(self.image):
                exc.check_id = "short-name-resolution"
            local = None
            with contextlib.suppress(RootlessError, OSError, ValueError):
                local = self.store.lookup(self.image)
            if local is not None:
                self._use(local)
                result.details.append(f"the next steps use the local copy {local.name}")
            raise
        join_threads()
        record = pulled.record
        self._use(record)
        fetched = f"{pulled.layers} layer(s), {human_size(pulled.downloaded)} downloaded"
        if pulled.reused:
            fetched += f", {pulled.reused} already stored"
        state = "unpacked" if pulled.unpacked else "already unpacked"
        result.summary = f"{record.name} ({fetched}; {state})"
        result.details.append(f"image id {record.id[:12]} from {pulled.registry}")
        result.details += [f"warning: {w}" for w in pulled.warnings]

    def _use(self, record: ImageRecord) -> None:
        from rootless.engine.containers import source_of  # noqa: PLC0415

        self.record = record
        self.source = source_of(record)
        self.report.image_name = record.name
        self.report.image_id = record.id

    # ---------------------------------------------------------------- 3. user namespace
    def step_user_namespace(self, result: StepResult) -> None:
        import pwd  # noqa: PLC0415

        from rootless.doctor.checks.userns_mapping import format_map, parse_id_map  # noqa: PLC0415
        from rootless.engine.idmap import build_mappings, parse_subid  # noqa: PLC0415
        from rootless.engine.userns import MapPlan, fork_in_userns  # noqa: PLC0415

        uid, gid = os.getuid(), os.getgid()
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        files = {}
        for path in ("/etc/subuid", "/etc/subgid"):
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    files[path] = parse_subid(fh.read()).for_user(name, uid)
            except FileNotFoundError:
                files[path] = ()
        want_uid = build_mappings(uid, files["/etc/subuid"])
        want_gid = build_mappings(gid, files["/etc/subgid"])
        self._no_threads()
        r, w = os.pipe()

        def inside() -> int:
            os.close(r)
            with open("/proc/self/uid_map") as u, open("/proc/self/gid_map") as g:
                os.write(w, (u.read() + "--\n" + g.read()).encode())
            return 0

        try:
            child = fork_in_userns(inside, plan=MapPlan.for_current_user(mode="full"))
        except BaseException:
            os.close(r)
            os.close(w)
            raise
        os.close(w)
        with os.fdopen(r, "rb") as pipe:
            text = pipe.read().decode(errors="replace")
        code = child.wait()
        uid_text, _, gid_text = text.partition("--\n")
        got_uid, got_gid = parse_id_map(uid_text), parse_id_map(gid_text)
        result.details += [
            f"uid_map read back: {format_map(got_uid)}",
            f"gid_map read back: {format_map(got_gid)}",
        ]
        if code != 0 or got_uid != want_uid or got_gid != want_gid:
            raise StepFailed(
                f"the namespace got uid_map {format_map(got_uid)} and gid_map "
                f"{format_map(got_gid)}, but /etc/subuid and /etc/subgid give "
                f"{format_map(want_uid)} and {format_map(want_gid)}",
                check_id="userns-mapping",
            )
        total = sum(m.size for m in got_uid)
        result.summary = (
            f"uid_map {format_map(got_uid)}, gid_map {format_map(got_gid)}: "
            f"as in /etc/subuid and /etc/subgid ({total} ids)"
        )

    # ---------------------------------------------------------------- 4. owners
    def step_owners(self, result: StepResult) -> None:
        assert self.store is not None
        assert self.record is not None
        self.scan = scan_layers(self.store, self.record)
        samples = self.scan.samples()
        if not self.record.full_mapping:
            raise StepFailed(
                "the image was unpacked with a single-id mapping: its files' owners are "
                "squashed to root",
                hint=f"fix the sub-id ranges, then `rootless engine rmi {self.record.name}` "
                "and run rootless verify again",
                check_id="subid-ranges",
            )
        if not samples:
            result.summary = (
                "nothing to compare: every file in the image's layers belongs to 0:0 "
                "(use --image with an image that has other owners to prove this step)"
            )
            return
        paths = [p for p, _, _ in samples]
        code, out, err = self._container("owners", ["stat", "-c", "%u:%g %n", "--", *paths])
        seen: dict[str, str] = {}
        for line in out.splitlines():
            ids, _, path = line.partition(" ")
            seen[path] = ids
        wrong = []
        for path, uid, gid in samples:
            got = seen.get(path)
            if got != f"{uid}:{gid}":
                wrong.append(f"{path}: {uid}:{gid} in the layer, {got or 'missing'} inside")
        if code != 0 or wrong:
            result.details += wrong or [line for line in err.splitlines() if line][:5]
            raise StepFailed(
                f"owners inside differ from the layer headers ({len(wrong)} of "
                f"{len(samples)} files)"
                if wrong
                else f"stat in the container exited {code}: {err.strip()[:300]}",
                check_id="subid-ranges" if wrong else None,
            )
        owners = sorted({f"{uid}:{gid}" for _, uid, gid in samples})
        result.summary = (
            f"{len(samples)} files owned by {', '.join(owners)} in the layers show the same "
            "owners inside"
        )
        result.details += [f"{uid}:{gid} {path}" for path, uid, gid in samples]

    # ---------------------------------------------------------------- 5. run as root / user
    def step_run_root(self, result: StepResult) -> None:
        code, out, err = self._container(
            "root", ["sh", "-c", 'echo "$(id -u):$(id -g)"'], user="0:0"
        )
        if code != 0 or out.strip() != "0:0":
            raise StepFailed(
                f"`id` as root printed {out.strip()!r} (exit {code}){_stderr(err)}",
            )
        result.summary = "uid 0, gid 0 inside (your own uid outside)"

    def step_run_user(self, result: StepResult) -> None:
        if self.scan is None and self.store is not None and self.record is not None:
            self.scan = scan_layers(self.store, self.record)
        passwd = self.scan.passwd if self.scan is not None else None
        config = self.source.config if self.source is not None else None
        name, uid, gid = pick_user(config, passwd)
        code, out, err = self._container(
            "user", ["sh", "-c", 'echo "$(id -u):$(id -g)"'], user=name
        )
        if code != 0 or out.strip() != f"{uid}:{gid}":
            raise StepFailed(
                f"`id` as {name} printed {out.strip()!r} instead of {uid}:{gid} "
                f"(exit {code}){_stderr(err)}",
                check_id="subid-ranges",
            )
        result.summary = f"{name}: uid {uid}, gid {gid} inside"

    # ---------------------------------------------------------------- 6. publish a port
    def step_publish_port(self, result: StepResult) -> None:
        import io  # noqa: PLC0415

        from rootless.engine import containers  # noqa: PLC0415

        assert self.source is not None
        name = self._name("http")
        spec = f"{HOST_IP}:{self.port}:{CONTAINER_PORT}"
        err = io.StringIO()
        containers.run(
            containers.RunOptions(
                image=self.source.name,
                command=["sh", "-c", SERVER_SCRIPT, "sh", self.token],
                entrypoint="",
                detach=True,
                name=name,
                publish=[spec],
            ),
            source=self.source,
            out=io.StringIO(),
            err=err,
        )
        self.published = True  # from here on the port was ours: the clean-up checks it
        result.details += _warnings(err.getvalue())
        try:
            status, body, tries = self._wait_for_http(name)
        finally:
            self._remove(name, result)
        if status != 200 or self.token.encode() not in body:
            raise StepFailed(
                f"127.0.0.1:{self.port} answered {status or 'nothing'} within "
                f"{SERVE_TIMEOUT:g} s, not the container's page"
            )
        result.summary = f"-p {spec}: HTTP 200 from the container's server on the host" + (
            f" (after {tries} tries)" if tries > 1 else ""
        )

    def _wait_for_http(self, name: str) -> tuple[int, bytes, int]:
        from rootless.engine import containers  # noqa: PLC0415

        deadline = time.monotonic() + SERVE_TIMEOUT
        status, body, tries = 0, b"", 0
        while time.monotonic() < deadline:
            tries += 1
            with contextlib.suppress(OSError):
                status, body = http_get(HOST_IP, self.port)
                if status == 200 and self.token.encode() in body:
                    return status, body, tries
            ref = containers.find(name)
            if not containers.is_running(ref.state):
                logs = _log_tail(ref.cdir)
                raise StepFailed(
                    f"the container with the HTTP server exited (status "
                    f"{ref.state.get('exit_code')}) before it answered{_stderr(logs)}"
                )
            time.sleep(min(0.05 * tries, 0.5))
        return status, body, tries

    # ---------------------------------------------------------------- 7. exit code
    def step_exit_code(self, result: StepResult) -> None:
        code, _out, err = self._container("exit", ["sh", "-c", "exit 7"])
        if code != 7:
            raise StepFailed(f"sh -c 'exit 7' gave exit code {code}, not 7{_stderr(err)}")
        result.summary = "sh -c 'exit 7' exited 7"

    # ---------------------------------------------------------------- 8. clean-up
    def step_cleanup(self, result: StepResult) -> None:
        from rootless.engine import containers  # noqa: PLC0415

        problems: list[str] = []
        cdirs = containers.containers_dir()
        mine = set(self.names)
        for ref in containers.list_containers():
            if ref.name in mine:
                problems.append(f"container directory {ref.cdir} ({ref.name})")
        names_dir = os.path.join(cdirs, containers.NAMES)
        with contextlib.suppress(FileNotFoundError):
            problems += [f"container name {n}" for n in os.listdir(names_dir) if n in mine]
        problems += [f"transient files {p}" for p in self._runroot_leftovers()]
        problems += [f"process {p}" for p in self._process_leftovers()]
        problems += [f"mount {m}" for m in _mount_leftovers(cdirs)]
        if self.published:
            try:
                import socket  # noqa: PLC0415

                with socket.socket() as sock:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind((HOST_IP, self.port))
            except OSError as exc:
                problems.append(f"port {HOST_IP}:{self.port} still taken ({exc.strerror})")
        if problems:
            result.details += problems
            raise StepFailed(f"left behind: {'; '.join(problems[:3])}")
        result.summary = (
            f"{len(self.names)} containers left no directory, name, transient file, "
            "process or mount" + (f"; port {self.port} is free again" if self.published else "")
        )

    def _runroot_leftovers(self) -> list[str]:
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        if not xdg:
            return []
        base = os.path.join(xdg, "rootless", "containers")
        found = []
        with contextlib.suppress(OSError):
            for entry in os.listdir(base):
                with contextlib.suppress(OSError), open(os.path.join(base, entry, "hosts")) as fh:
                    if any(n in fh.read() for n in self.names):
                        found.append(os.path.join(base, entry))
        return found

    def _process_leftovers(self) -> list[str]:
        """Children of this process (orphans come here: it is a subreaper) and any process
        whose command line carries this run's token."""
        me = os.getpid()
        while True:  # reap what already ended
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2 :].split()
            if len(fields) < 2:
                continue
            if int(fields[1]) == me or self.token in cmdline:
                found.append(f"{entry} ({cmdline[:80] or 'no command line'})")
        return found

    # ---------------------------------------------------------------- containers
    def _name(self, what: str) -> str:
        name = f"rootless-verify-{self.token}-{what}"
        self.names.append(name)
        return name

    def _no_threads(self) -> None:
        left = join_threads()
        if left:
            raise StepFailed(
                f"cannot fork a user namespace while other threads run ({', '.join(left)})"
            )

    def _container(
        self, what: str, argv: Sequence[str], *, user: str | None = None
    ) -> tuple[int, str, str]:
        """Run ``argv`` in a ``--rm`` container of the image; (exit code, stdout, stderr)."""
        import io  # noqa: PLC0415

        from rootless.engine import containers  # noqa: PLC0415

        assert self.source is not None
        self._no_threads()
        out_fd = os.memfd_create("rootless-verify-stdout")
        err_fd = os.memfd_create("rootless-verify-stderr")
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        warn = io.StringIO()
        try:
            code = containers.run(
                containers.RunOptions(
                    image=self.source.name,
                    command=list(argv),
                    entrypoint="",
                    rm=True,
                    user=user,
                    name=self._name(what),
                ),
                source=self.source,
                out=io.StringIO(),
                err=warn,
                stdio=(null, out_fd, err_fd),
            )
            return code, _read_fd(out_fd), _read_fd(err_fd) + warn.getvalue()
        finally:
            for fd in (out_fd, err_fd, null):
                os.close(fd)

    def _remove(self, name: str, result: StepResult) -> None:
        """Stop and remove a detached container (the engine's own stop and rm), then reap
        its supervisor, which is this process's child."""
        from rootless.engine import containers  # noqa: PLC0415

        try:
            ref = containers.find(name)
        except RootlessError:
            return
        monitor = ref.state.get("monitor_pid")
        try:
            containers.stop(ref, timeout=5)
            ref = containers.find(name)
            containers.remove(ref)
        except RootlessError as exc:
            result.details.append(f"stop/rm failed: {exc.message}")
        if isinstance(monitor, int) and monitor > 0:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(monitor, 0)

    # ---------------------------------------------------------------- explanations
    def _explain(self) -> None:
        """Attach the doctor's finding and fix to every failed step (after the last fork:
        the checks run in threads)."""
        failed = [s for s in self.report.steps if s.failed and (s.check_id or s.findings)]
        if not failed:
            return
        from rootless.doctor import Status, diagnose  # noqa: PLC0415

        known = {f.id: f for f in self.report.checks}
        params = {"ports": [f"{HOST_IP}:{self.port}"]}
        for step in failed:
            if step.findings:
                findings = step.findings
                check_id = findings[0].id
            else:
                assert step.check_id is not None
                check_id = step.check_id
                finding = known.get(check_id)
                if finding is None:
                    try:
                        diag = diagnose(ids=[check_id], params=params)
                    except ValueError as exc:  # an unknown id: a bug the registry test catches
                        step.details.append(f"cannot run doctor check {check_id}: {exc}")
                        continue
                    self.doctor_host = self.doctor_host or diag.host
                    for f in diag.findings:
                        known.setdefault(f.id, f)
                    finding = known.get(check_id)
                findings = [finding] if finding is not None else []
            problems = [f for f in findings if f.status in (Status.WARN, Status.FAIL, Status.ERROR)]
            snippet, script = self._fix(problems)
            command = f"rootless doctor {' '.join(f.id for f in findings) or check_id}"
            if "published-ports" in command:
                command += f" --port {HOST_IP}:{self.port}"
            step.explanation = Explanation(
                check_id, command, findings[0] if findings else None, snippet, script
            )

    def _fix(self, findings: list[Finding]) -> tuple[str, str]:
        """The fix steps rendered by the doctor's templates, and the whole script."""
        if not any(f.fix for f in findings):
            return "", ""
        from rootless.doctor import render_fix_script  # noqa: PLC0415
        from rootless.doctor.facts import distro_info  # noqa: PLC0415
        from rootless.doctor.fixes import environment, plan_steps, render_step  # noqa: PLC0415
        from rootless.doctor.host import RealHost  # noqa: PLC0415

        host = self.doctor_host if self.doctor_host is not None else RealHost()
        env = environment()
        distro = distro_info(host)
        lines = []
        for number, item in enumerate(plan_steps(findings), start=1):
            s = item.step
            lines.append(f"# {number}. {s.summary} ({s.part}, takes effect {s.takes_effect})")
            lines.append(render_step(env, s, distro))
        return "\n".join(lines) + "\n", render_fix_script(findings, host)


_PR_SET_CHILD_SUBREAPER = 36


def _stderr(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return f": {' / '.join(lines[-3:])}" if lines else ""


def _warnings(text: str) -> list[str]:
    return [line.removeprefix("rootless: ") for line in text.splitlines() if line.strip()]


def _log_tail(cdir: str, lines: int = 5) -> str:
    from rootless.engine.containers import LOG, read_log_records  # noqa: PLC0415

    records, _ = read_log_records(os.path.join(cdir, LOG))
    return "\n".join(r[3].decode(errors="replace") for r in records[-lines:])


def _mount_leftovers(cdirs: str) -> list[str]:
    """Mounts of this mount namespace under the store or the run root (the containers mount
    only in their own namespaces; one here would have leaked)."""
    roots = [os.path.realpath(os.path.dirname(cdirs))]
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        roots.append(os.path.join(os.path.realpath(xdg), "rootless"))
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            if len(fields) > 4 and any(
                fields[4] == r or fields[4].startswith(r + "/") for r in roots
            ):
                found.append(fields[4])
    return found
