"""Test harness shared by every part of the suite.

* :func:`require` fails a test in CI (``CI`` set) when a real prerequisite is missing, and
  skips it only on a developer's machine.
* :class:`TestUser` is a real unprivileged account with a real /etc/subuid and /etc/subgid
  range, created when the suite runs as root (CI). Commands run as that user through
  ``setpriv``, so rootless failures are not hidden by root's privileges.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = bool(os.environ.get("CI"))

#: account names used by the suite (created only when running as root)
TEST_USER = "rootless-test"
TEST_USER_NOSUBID = "rootless-nosub"
_LOCK = Path("/run/lock/rootless-test-users.lock")


def require(condition: object, reason: str) -> None:
    """Stop the test unless ``condition`` holds: fail in CI, skip on a laptop.

    In CI every prerequisite is installed by ``tests/run.sh``; a missing one is a broken
    install step, which must be loud.
    """
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason}", pytrace=False)
    pytest.skip(f"prerequisite missing: {reason}")


def require_command(name: str, package: str) -> str:
    path = shutil.which(name) or next(
        (
            p
            for p in (f"/usr/sbin/{name}", f"/sbin/{name}", f"/usr/bin/{name}")
            if os.access(p, os.X_OK)
        ),
        None,
    )
    require(path, f"`{name}` not found (install the Debian package {package})")
    assert path is not None
    return path


@dataclass(frozen=True)
class TestUser:
    """An unprivileged account the suite can run commands as."""

    __test__ = False  # not a pytest test class

    name: str
    uid: int
    gid: int
    home: Path
    #: the ``rootless`` console script this user runs (from a venv it can read)
    rootless: str
    python: str

    @property
    def runtime_dir(self) -> Path:
        return Path(f"/run/user/{self.uid}")

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            "HOME": str(self.home),
            "USER": self.name,
            "LOGNAME": self.name,
            "SHELL": "/bin/sh",
            "PATH": f"{Path(self.rootless).parent}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "NO_COLOR": "1",
        }
        if os.environ.get("CI"):
            env["CI"] = os.environ["CI"]
        env.update(extra or {})
        return env

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        input: str | bytes | None = None,
        timeout: float = 120,
        cwd: str | os.PathLike[str] | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` as this user with a clean login-like environment; text output."""
        cmd = list(argv)
        if os.geteuid() == 0:
            cmd = [
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.gid}",
                "--init-groups",
                "--",
                *cmd,
            ]
        return subprocess.run(
            cmd,
            env=self.env(env),
            input=input.decode() if isinstance(input, bytes) else input,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(cwd or self.home),
            check=check,
        )

    def popen(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs: object
    ) -> subprocess.Popen[bytes]:
        cmd = list(argv)
        if os.geteuid() == 0:
            cmd = [
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.gid}",
                "--init-groups",
                "--",
                *cmd,
            ]
        return subprocess.Popen(cmd, env=self.env(env), cwd=str(self.home), **kwargs)  # type: ignore[call-overload,no-any-return]

    def rootless_cmd(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return self.run([self.rootless, *args], env=env, timeout=timeout, input=input)

    def python_cmd(
        self, code: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run Python ``code`` as this user with the interpreter that has rootless installed."""
        return self.run([self.python, "-c", code, *args], env=env, timeout=timeout)

    @contextlib.contextmanager
    def tmpdir(self) -> Iterator[Path]:
        """A scratch directory this user owns (pytest's tmp_path is root-only in CI)."""
        path = Path(tempfile.mkdtemp(prefix="rootless-test-", dir="/var/tmp"))
        os.chmod(path, 0o755)
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)
        try:
            yield path
        finally:
            self.remove_tree(path)

    def remove_tree(self, path: Path) -> None:
        """Remove a tree that may hold files owned by this user's sub-ids."""
        if not path.exists():
            return
        if os.geteuid() == 0:
            shutil.rmtree(path, ignore_errors=True)
            return
        # as the user: sub-id owned files can only be removed from inside the namespace
        self.python_cmd(
            "import sys\n"
            "from rootless.engine.userns import MapPlan, spawn_in_userns\n"
            "spawn_in_userns(['rm', '-rf', sys.argv[1]], plan=MapPlan.for_current_user())",
            str(path),
        )
        shutil.rmtree(path, ignore_errors=True)


def _subid_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def _free_start(count: int) -> int:
    from rootless.engine.idmap import parse_subid, suggest_free_range

    taken: list[tuple[int, int]] = []
    for f in ("/etc/subuid", "/etc/subgid"):
        parsed = parse_subid("\n".join(_subid_lines(Path(f))))
        taken += [(e.start, e.count) for e in parsed.entries]
    taken += [(p.pw_uid, 1) for p in pwd.getpwall()]
    return suggest_free_range(taken, count=count, minimum=200000)


def _ensure_account(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--create-home", "--user-group", "--shell", "/bin/sh", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


def _set_subids(name: str, start: int | None, count: int = 65536) -> None:
    """Give ``name`` exactly one range (or none), editing both files atomically."""
    for f in (Path("/etc/subuid"), Path("/etc/subgid")):
        lines = [ln for ln in _subid_lines(f) if ln.split(":", 1)[0] != name]
        if start is not None:
            lines.append(f"{name}:{start}:{count}")
        tmp = f.with_name(f.name + ".rootless-test")
        tmp.write_text("".join(ln + "\n" for ln in lines))
        os.chmod(tmp, 0o644)
        os.replace(tmp, f)


def _ensure_runtime_dir(pw: pwd.struct_passwd) -> None:
    run = Path(f"/run/user/{pw.pw_uid}")
    run.mkdir(parents=True, exist_ok=True)
    os.chown(run, pw.pw_uid, pw.pw_gid)
    os.chmod(run, 0o700)


def find_user_venv_tools() -> tuple[str, str]:
    """The ``rootless`` script and python of the running venv (must be readable by others)."""
    bindir = Path(sys.executable).parent
    return str(bindir / "rootless"), sys.executable


def make_test_user(*, with_subids: bool = True) -> TestUser:
    """Create (or reuse) the test account. Root only; callers check that first."""
    rootless, python = find_user_venv_tools()
    _LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        name = TEST_USER if with_subids else TEST_USER_NOSUBID
        pw = _ensure_account(name)
        if with_subids:
            existing = [
                ln for ln in _subid_lines(Path("/etc/subuid")) if ln.split(":", 1)[0] == name
            ]
            existing_g = [
                ln for ln in _subid_lines(Path("/etc/subgid")) if ln.split(":", 1)[0] == name
            ]
            if len(existing) != 1 or existing != existing_g or not existing[0].endswith(":65536"):
                _set_subids(name, None)
                _set_subids(name, _free_start(65536))
        else:
            _set_subids(name, None)
        _ensure_runtime_dir(pw)
        return TestUser(name, pw.pw_uid, pw.pw_gid, Path(pw.pw_dir), rootless, python)


@contextlib.contextmanager
def temporary_user(*, with_subids: bool = True) -> Iterator[TestUser]:
    """A throw-away account with its own sub-id range (root only), removed afterwards.

    For tests that break an account's setup - e.g. remove its /etc/subuid line - which must
    never touch the shared test users that concurrently running suites rely on.
    """
    rootless, python = find_user_venv_tools()
    name = f"rootless-t{os.getpid() % 100000}{os.urandom(2).hex()}"
    _LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pw = _ensure_account(name)
        _set_subids(name, _free_start(65536) if with_subids else None)
        _ensure_runtime_dir(pw)
    try:
        yield TestUser(name, pw.pw_uid, pw.pw_gid, Path(pw.pw_dir), rootless, python)
    finally:
        with open(_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _set_subids(name, None)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
            shutil.rmtree(f"/run/user/{pw.pw_uid}", ignore_errors=True)
            shutil.rmtree(pw.pw_dir, ignore_errors=True)


def drop_subids(name: str) -> None:
    """Remove every /etc/subuid and /etc/subgid line of ``name`` (root only; never use it on
    the shared test users)."""
    assert name not in (TEST_USER, TEST_USER_NOSUBID), "other suites use this account"
    with open(_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _set_subids(name, None)


def current_user_as_test_user() -> TestUser:
    pw = pwd.getpwuid(os.getuid())
    rootless, python = find_user_venv_tools()
    return TestUser(pw.pw_name, pw.pw_uid, pw.pw_gid, Path(pw.pw_dir), rootless, python)


# --------------------------------------------------------------------------------------
# A busybox root filesystem with real owners, built as the user inside its namespace

#: the accounts the sample rootfs defines (name, uid, gid, home)
BUSYBOX_USERS = (
    ("root", 0, 0, "/root"),
    ("www", 101, 101, "/var/www"),
    ("app", 1000, 1000, "/home/app"),
    ("nobody", 65534, 65534, "/nonexistent"),
)
#: its groups (name, gid, members)
BUSYBOX_GROUPS = (
    ("root", 0, ""),
    ("wheel", 10, "app"),
    ("staff", 50, "app,www"),
    ("www", 101, ""),
    ("app", 1000, ""),
    ("nogroup", 65534, ""),
)

_BUILD_ROOTFS = r"""
import json, os, shutil, subprocess, sys
from rootless.engine.userns import MapPlan, fork_in_userns

dest, users, groups = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
plan = MapPlan.for_current_user(mode=sys.argv[4])

def body():
    full = len(open("/proc/self/uid_map").read().splitlines()) > 1
    def own(path, uid, gid):
        if full:
            os.lchown(path, uid, gid)
    os.makedirs(dest)
    for d in ("bin", "etc", "proc", "dev", "sys", "root", "home", "var/www", "srv", "tmp"):
        os.makedirs(os.path.join(dest, d), exist_ok=True)
    os.chmod(os.path.join(dest, "tmp"), 0o1777)
    os.chmod(os.path.join(dest, "root"), 0o700)
    shutil.copy2("/bin/busybox", os.path.join(dest, "bin/busybox"))
    applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split()
    for name in applets:
        if name != "busybox":
            os.symlink("busybox", os.path.join(dest, "bin", name))
    with open(os.path.join(dest, "etc/passwd"), "w") as fh:
        for name, uid, gid, home in users:
            fh.write(f"{name}:x:{uid}:{gid}:{name}:{home}:/bin/sh\n")
    with open(os.path.join(dest, "etc/group"), "w") as fh:
        for name, gid, members in groups:
            fh.write(f"{name}:x:{gid}:{members}\n")
    os.makedirs(os.path.join(dest, "home/app"))
    own(os.path.join(dest, "home/app"), 1000, 1000)
    with open(os.path.join(dest, "var/www/index.html"), "w") as fh:
        fh.write("hello from busybox httpd\n")
    own(os.path.join(dest, "var/www"), 101, 101)
    own(os.path.join(dest, "var/www/index.html"), 101, 101)
    with open(os.path.join(dest, "srv/nobody.txt"), "w") as fh:
        fh.write("owned by nobody\n")
    own(os.path.join(dest, "srv/nobody.txt"), 65534, 65534)
    return 0

child = fork_in_userns(body, plan=plan)
sys.exit(child.wait())
"""


def build_busybox_rootfs(user: TestUser, dest: Path, *, mapping: str = "auto") -> Path:
    """Build a small root filesystem at ``dest`` as ``user``, inside a user namespace.

    Files keep real owners (``/var/www`` is 101:101, ``/srv/nobody.txt`` 65534:65534,
    ``/home/app`` 1000:1000) when the user has a sub-id range; without one (single mapping)
    everything belongs to the user. ``/etc/passwd`` and ``/etc/group`` define
    :data:`BUSYBOX_USERS` and :data:`BUSYBOX_GROUPS`; ``/bin`` has busybox and its applets
    (``sh``, ``httpd``, ``id``, ``stat`` ...).
    """
    import json

    busybox = require_command("busybox", "busybox-static")
    require(busybox == "/bin/busybox" or os.path.exists("/bin/busybox"), "/bin/busybox missing")
    res = user.python_cmd(
        _BUILD_ROOTFS,
        str(dest),
        json.dumps(BUSYBOX_USERS),
        json.dumps(BUSYBOX_GROUPS),
        mapping,
    )
    assert res.returncode == 0, res.stderr
    return dest
