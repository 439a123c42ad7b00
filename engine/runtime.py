"""Run a container rootless: the exact sequence of engine.md §6, on ctypes syscalls.

Three processes:

* **P** (this process, on the host): binds the published ports, forks C, maps C's user
  namespace (``newgidmap`` then ``newuidmap`` with the full sub-id ranges, else a single
  mapping with ``setgroups`` denied and a warning), starts the outbound-network helper,
  then relays ports, forwards signals and waits. P is the CLI in the foreground and the
  supervisor with ``-d``.
* **C**: ``unshare(USER|UTS|IPC|PID[|NET])``; owns the namespaces, brings ``lo`` up, forks
  G, serves port-forwarding requests from inside the network namespace (SCM_RIGHTS), and
  waits for G. With ``--rm`` it deletes the container directory afterwards: the files are
  owned by sub-ids, which only the namespace can remove.
* **G**: PID 1 of the new pid namespace, in its own mount namespace (a ``pivot_root`` in a
  mount namespace shared with C would move C's root too, P10); builds the rootfs
  (:mod:`rootless.engine.rootfs`), sets the hostname, resolves the user in the container's
  ``/etc/passwd``, bounds the capabilities to podman's default set, switches user, sets
  ``no_new_privs`` and execs.

Errors before ``execve`` travel from C and G to P over a close-on-exec status pipe with
the failing step and errno; P raises them as :class:`RunError` with podman's exit codes
(125 engine, 126 cannot invoke, 127 not found) and the doctor check that explains them.
Once the command runs, its exit status is the result (128+N when killed by signal N).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import warnings as _warnings  # noqa: F401 - os.execvpe imports it lazily; after pivot_root the host's stdlib is gone

from rootless.engine import rootfs as rootfs_mod
from rootless.engine.netmode import Helper, own_netns, start_helper
from rootless.engine.spec import ProcessSpec, SpecError, home_env, resolve_user
from rootless.engine.userns import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUTS,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    Child,
    MappingError,
    MapPlan,
    drop_bounding_caps,
    fork_in_userns,
    interface_up,
    prctl,
    read_all,
    sethostname,
    unshare,
)
from rootless.errors import RootlessError
from rootless.exitcodes import ExitCode

TYPE_CHECKING = False  # mypy treats this name as true
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    from rootless.engine.portfwd import Loop, PortMapping
    from rootless.engine.rootfs import RootfsPlan

#: podman's default capability set (containers.conf ``default_capabilities``)
DEFAULT_CAPS = {
    "CHOWN": 0,
    "DAC_OVERRIDE": 1,
    "FOWNER": 3,
    "FSETID": 4,
    "KILL": 5,
    "SETGID": 6,
    "SETUID": 7,
    "SETPCAP": 8,
    "NET_BIND_SERVICE": 10,
    "SYS_CHROOT": 18,
    "SETFCAP": 31,
}

#: signals P passes on to the container (podman's sig-proxy); SIGCHLD, SIGPIPE, SIGURG
#: and SIGWINCH (handled for a tty) are not forwarded.
FORWARDED_SIGNALS = (
    signal.SIGHUP,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGTERM,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
    signal.SIGCONT,
    signal.SIGTSTP,
    signal.SIGTTIN,
    signal.SIGTTOU,
)


class RunError(RootlessError):
    """The container could not be started; ``exit_code`` follows podman (125/126/127)."""

    exit_code = ExitCode.ENGINE


class RunConfig:
    """Everything one run needs, prepared on the host before any fork."""

    __slots__ = (
        "child_close",
        "helper_log",
        "interactive",
        "listeners",
        "map_plan",
        "network",
        "on_pid",
        "process",
        "remove_dirs",
        "rootfs",
        "stdio",
        "tty",
    )

    def __init__(
        self,
        *,
        process: ProcessSpec,
        rootfs: RootfsPlan,
        network: str,
        listeners: list[tuple[socket.socket, PortMapping]] | None = None,
        interactive: bool = False,
        tty: bool = False,
        remove_dirs: list[str] | None = None,
        map_plan: MapPlan | None = None,
        helper_log: str = "/dev/null",
        on_pid: Callable[[int], None] | None = None,
        stdio: tuple[int, int, int] | None = None,
    ) -> None:
        self.process = process
        self.rootfs = rootfs
        self.network = network
        self.listeners = listeners or []
        self.interactive = interactive
        self.tty = tty
        #: removed by C (inside the user namespace) once the container has exited (--rm)
        self.remove_dirs = remove_dirs or []
        self.map_plan = map_plan
        self.helper_log = helper_log
        #: called in C with the host pid of the container's PID 1, right after the fork
        #: (C records it; C also removes the container with --rm, so the two cannot race)
        self.on_pid = on_pid
        #: descriptors of the caller that C must close (e.g. the supervisor's report pipe)
        self.child_close: list[int] = []
        #: fds for the container's 0, 1, 2 (default: stdin or /dev/null, then 1 and 2)
        self.stdio = stdio


# --------------------------------------------------------------------------------------
# Status pipe: C and G report warnings and the error that stopped them


def _send(fd: int, kind: str, *fields: object) -> None:
    line = "\t".join([kind, *(str(f).replace("\t", " ").replace("\n", " ") for f in fields)])
    with contextlib.suppress(OSError):
        os.write(fd, (line + "\n").encode(errors="replace"))


def _fail(fd: int, code: int, check: str | None, message: str) -> None:
    _send(fd, "E", code, check or "-", message)
    os._exit(code)


def _errname(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, "?")


# --------------------------------------------------------------------------------------
# G: the container's PID 1


def _exec_error(status_w: int, argv0: str, exc: OSError) -> None:
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        where = "in $PATH" if "/" not in argv0 else "in the container"
        _fail(
            status_w,
            ExitCode.NOT_FOUND,
            None,
            f"executable file `{argv0}` not found {where}: No such file or directory",
        )
    _fail(
        status_w,
        ExitCode.CANNOT_INVOKE,
        None,
        f"cannot run `{argv0}`: {exc.strerror} ({_errname(exc)})",
    )


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _g_main(cfg: RunConfig, status_w: int, go_r: int | None, alive_r: int) -> None:
    """PID 1 of the container; never returns."""
    step = "start the container"
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # getppid() is 0 for PID 1 of a new pid namespace: C's liveness shows on a pipe
        # whose write end only C holds (EOF = C died before PDEATHSIG was armed).
        if select.select([alive_r], [], [], 0)[0]:
            os._exit(ExitCode.ENGINE)
        os.setsid()
        step = "unshare the mount namespace"
        unshare(CLONE_NEWNS)
        devnull = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        try:
            root, warning = rootfs_mod.build(cfg.rootfs)
        except rootfs_mod.SetupError as exc:
            _fail(status_w, ExitCode.ENGINE, exc.check_id, f"cannot set up the rootfs: {exc}")
        if warning:
            _send(status_w, "W", "overlay-mount", warning)
        step = "set the hostname"
        sethostname(cfg.process.hostname)
        rootfs_mod.enter(root)
        step = "resolve the user"
        try:
            user = resolve_user(
                cfg.process.user, _read_text("/etc/passwd"), _read_text("/etc/group")
            )
        except SpecError as exc:
            _fail(status_w, ExitCode.ENGINE, exc.check_id, exc.message)
        env_list = home_env(cfg.process.env, user.home)
        step = "set up stdin, stdout and stderr"
        _setup_stdio(cfg, devnull)
        step = "bound the capabilities"
        drop_bounding_caps(DEFAULT_CAPS.values())
        step = f"switch to user {user.uid}:{user.gid}"
        _switch_user(status_w, user.uid, user.gid, user.sgids)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by the credential change
        step = f"change to the working directory {cfg.process.cwd}"
        try:
            os.chdir(cfg.process.cwd)
        except OSError as exc:
            _fail(
                status_w,
                ExitCode.CANNOT_INVOKE,
                None,
                f"cannot change to the working directory {cfg.process.cwd}: {exc.strerror}",
            )
        step = "set no_new_privs"
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGWINCH, *FORWARDED_SIGNALS):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        if go_r is not None:
            step = "wait for the network"
            if os.read(go_r, 1) != b"g":
                os._exit(ExitCode.ENGINE)
        os.closerange(3, status_w)
        os.closerange(status_w + 1, 1 << 20)
        env = dict(item.split("=", 1) for item in env_list if "=" in item)
        argv = cfg.process.args
        try:
            os.execvpe(argv[0], argv, env)  # noqa: S606 - the container's own command
        except OSError as exc:
            _exec_error(status_w, argv[0], exc)
    except OSError as exc:
        _fail(status_w, ExitCode.ENGINE, None, f"{step}: {exc.strerror or exc} ({_errname(exc)})")
    except BaseException as exc:
        _fail(status_w, ExitCode.ENGINE, None, f"{step}: {type(exc).__name__}: {exc}")
    os._exit(ExitCode.ENGINE)


def _setup_stdio(cfg: RunConfig, devnull: int) -> None:
    if cfg.rootfs.tty_fd is not None:
        import fcntl  # noqa: PLC0415
        import termios  # noqa: PLC0415

        fcntl.ioctl(cfg.rootfs.tty_fd, termios.TIOCSCTTY, 0)
        fds = (cfg.rootfs.tty_fd,) * 3
    elif cfg.stdio is not None:
        fds = cfg.stdio
    else:
        fds = (0 if cfg.interactive else devnull, 1, 2)
    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
        else:
            os.set_inheritable(fd, True)


def _switch_user(status_w: int, uid: int, gid: int, sgids: list[int]) -> None:
    if uid == 0 and gid == 0 and not sgids:
        return
    with contextlib.suppress(PermissionError):  # setgroups is denied with a single mapping
        os.setgroups(sgids)
    try:
        os.setgid(gid)
        os.setuid(uid)
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            _fail(
                status_w,
                ExitCode.ENGINE,
                "subid-ranges",
                f"cannot run as {uid}:{gid}: the id is not mapped in the user namespace "
                "(without a sub-id range only root exists in the container)",
            )
        raise


# --------------------------------------------------------------------------------------
# C: the namespace owner and in-namespace port helper


def remove_tree(path: str) -> None:
    """``rm -rf`` without following symlinks (inside the user namespace for sub-id files)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        os.unlink(path)
        return
    try:
        _clear_dir(fd)
    finally:
        os.close(fd)
    os.rmdir(path)


def _clear_dir(fd: int) -> None:
    with os.scandir(fd) as it:
        entries = list(it)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            try:  # empty directories (overlay's work/work, mount points) need no walk
                os.rmdir(entry.name, dir_fd=fd)
                continue
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            try:
                sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except PermissionError:  # overlay's work/work is mode 000: we own it
                os.chmod(entry.name, 0o700, dir_fd=fd)
                sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            try:
                _clear_dir(sub)
            finally:
                os.close(sub)
            os.rmdir(entry.name, dir_fd=fd)
        else:
            os.unlink(entry.name, dir_fd=fd)


def _c_main(
    cfg: RunConfig,
    *,
    status_w: int,
    pid_w: int,
    go_r: int | None,
    helper: socket.socket | None,
    close_fds: list[int],
) -> int:
    for fd in [*close_fds, *cfg.child_close]:
        os.close(fd)
    for sock, _ in cfg.listeners:
        sock.close()
    reset_signals()
    os.setsid()  # no terminal signals: P forwards what the container should get
    if own_netns(cfg.network):
        try:
            interface_up("lo")
        except OSError as exc:
            _fail(status_w, ExitCode.ENGINE, None, f"{exc.strerror} ({_errname(exc)})")
        with contextlib.suppress(OSError), open("/proc/sys/net/ipv4/ping_group_range", "w") as fh:
            fh.write("0 0")  # podman's default_sysctls: unprivileged ICMP sockets
    alive_r, alive_w = os.pipe()  # C keeps alive_w open for as long as it lives
    pid = os.fork()
    if pid == 0:
        if helper is not None:
            helper.close()
        os.close(pid_w)
        os.close(alive_w)
        _g_main(cfg, status_w, go_r, alive_r)
    os.close(alive_r)
    os.close(status_w)
    if go_r is not None:
        os.close(go_r)
    if cfg.rootfs.tty_fd is not None:
        os.close(cfg.rootfs.tty_fd)
    if cfg.on_pid is not None:
        with contextlib.suppress(Exception):
            cfg.on_pid(pid)
    os.write(pid_w, b"%d" % pid)
    os.close(pid_w)
    code = _wait_serving(pid, helper)
    for path in cfg.remove_dirs:
        with contextlib.suppress(OSError):
            remove_tree(path)
    return code


def _wait_serving(pid: int, helper: socket.socket | None) -> int:
    pidfd = os.pidfd_open(pid)
    try:
        while helper is not None:
            ready, _, _ = select.select([pidfd, helper.fileno()], [], [])
            if pidfd in ready:
                break
            if not _serve(helper):
                helper.close()
                helper = None
    finally:
        os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    return exit_code(status)


def _serve(helper: socket.socket) -> bool:
    from rootless.engine.portfwd import serve_request  # noqa: PLC0415

    return serve_request(helper)


def exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


# --------------------------------------------------------------------------------------
# P: start, then serve


class SignalProxy:
    """podman's sig-proxy: signals to P go to the container's PID 1.

    Installed *before* the container starts, so a signal that arrives while it starts is
    queued (on the wakeup pipe) and delivered once its PID 1 exists, instead of killing P.
    The forked C resets the handlers (:func:`reset_signals`).
    """

    def __init__(self) -> None:
        self.wakeup, self._w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.target = 0
        #: with -t: SIGWINCH copies the terminal's size to the container's pty
        self.pty_master: int | None = None
        self._previous = {
            sig: signal.signal(sig, _noop) for sig in (*FORWARDED_SIGNALS, signal.SIGWINCH)
        }
        self._old_fd = signal.set_wakeup_fd(self._w, warn_on_full_buffer=False)

    def forward_pending(self) -> None:
        while True:
            try:
                data = os.read(self.wakeup, 512)
            except BlockingIOError:
                return
            if not data:
                return
            for signum in data:
                if signum == signal.SIGWINCH:
                    if self.pty_master is not None:
                        _copy_winsize(self.pty_master)
                    continue
                if not self.target:
                    continue
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.target, signum)

    def close(self) -> None:
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        os.close(self.wakeup)
        os.close(self._w)

    def __enter__(self) -> SignalProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reset_signals() -> None:
    """Back to the default dispositions (in a forked child of a process with a proxy)."""
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    for sig in (*FORWARDED_SIGNALS, signal.SIGWINCH):
        signal.signal(sig, signal.SIG_DFL)


class Session:
    """A started container, seen from P."""

    def __init__(
        self,
        cfg: RunConfig,
        child: Child,
        *,
        g_pid: int,
        helper: socket.socket | None,
        net: Helper | None,
        warnings: list[tuple[str, str]],
        pty_master: int | None,
    ) -> None:
        self.cfg = cfg
        self.child = child
        self.g_pid = g_pid
        self.helper = helper
        self.net = net
        self.warnings = warnings
        self.pty_master = pty_master
        self.exit_code: int | None = None

    @property
    def mapping_warning(self) -> str | None:
        return self.child.mapping.warning

    def serve(
        self,
        *,
        proxy: SignalProxy | None = None,
        on_loop: Callable[[Loop], None] | None = None,
        tty_in: int | None = None,
        tty_out: int | None = None,
    ) -> int:
        """Relay ports (and the tty), forward signals through ``proxy``, wait for the
        container; its exit code."""
        if proxy is not None:
            proxy.target = self.g_pid
            proxy.pty_master = self.pty_master
        if not self.cfg.listeners and self.pty_master is None and on_loop is None:
            return self._wait_simple(proxy)
        from rootless.engine.portfwd import Forwarder, Loop  # noqa: PLC0415

        loop = Loop()
        forwarder = None
        if self.cfg.listeners and self.helper is not None:
            forwarder = Forwarder(loop, self.cfg.listeners, self.helper)
        pidfd = os.pidfd_open(self.child.pid)
        done = [False]

        def on_exit(_ev: int) -> None:
            done[0] = True

        loop.set(pidfd, select.EPOLLIN, on_exit)
        if proxy is not None:
            loop.set(proxy.wakeup, select.EPOLLIN, lambda _ev: proxy.forward_pending())
            proxy.forward_pending()  # what arrived while the container was starting
        tty = _TtyRelay(loop, self.pty_master, tty_in, tty_out) if self.pty_master else None
        if on_loop is not None:
            on_loop(loop)
        try:
            while not done[0]:
                loop.run_once()
            if tty is not None:
                tty.drain()
        finally:
            if forwarder is not None:
                forwarder.close()
            if proxy is not None:
                loop.remove(proxy.wakeup)
            os.close(pidfd)
            loop.close()
        return self._finish()

    def _wait_simple(self, proxy: SignalProxy | None) -> int:
        pidfd = os.pidfd_open(self.child.pid)
        try:
            if proxy is not None:
                proxy.forward_pending()  # what arrived while the container was starting
                while True:
                    ready, _, _ = select.select([pidfd, proxy.wakeup], [], [])
                    if proxy.wakeup in ready:
                        proxy.forward_pending()
                    if pidfd in ready:
                        break
            else:
                select.select([pidfd], [], [])
        finally:
            os.close(pidfd)
        return self._finish()

    def _finish(self) -> int:
        code = self.child.wait()
        self.exit_code = code
        if self.helper is not None:
            self.helper.close()
            self.helper = None
        if self.net is not None:
            self.net.stop()
            self.net = None
        for sock, _ in self.cfg.listeners:
            sock.close()
        if self.pty_master is not None:
            os.close(self.pty_master)
            self.pty_master = None
        return code


def _noop(_signum: int, _frame: object) -> None:
    """A Python-level handler so the signal does not kill P; the wakeup fd carries it."""


class _TtyRelay:
    """The host terminal <-> the container's pty master."""

    def __init__(self, loop: Loop, master: int, tty_in: int | None, tty_out: int | None) -> None:
        self.loop = loop
        self.master = master
        self.out = 1 if tty_out is None else tty_out
        self.inp = tty_in
        loop.set(master, select.EPOLLIN, self._on_master)
        if tty_in is not None:
            loop.set(tty_in, select.EPOLLIN, self._on_input)

    def _on_master(self, _ev: int) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the container side closed
            data = b""
        if not data:
            self.loop.remove(self.master)
            return
        _write_all(self.out, data)

    def _on_input(self, _ev: int) -> None:
        assert self.inp is not None
        try:
            data = os.read(self.inp, 65536)
        except OSError:
            data = b""
        if not data:
            self.loop.remove(self.inp)
            with contextlib.suppress(OSError):
                os.write(self.master, b"\x04")  # EOF for the line discipline
            return
        _write_all(self.master, data)

    def drain(self) -> None:
        os.set_blocking(self.master, False)
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            _write_all(self.out, data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        view = view[n:]


def start(cfg: RunConfig) -> Session:
    """Fork and map the namespaces, build the rootfs, exec the command: everything up to
    the moment the container's process runs. Raises :class:`RunError` (or a
    :class:`~rootless.engine.userns.MappingError`) when that fails; nothing is left running.
    """
    plan = cfg.map_plan or MapPlan.for_current_user()
    flags = CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID
    if own_netns(cfg.network):
        flags |= CLONE_NEWNET
    status_r, status_w = os.pipe()
    pid_r, pid_w = os.pipe()
    go_r: int | None = None
    go_w: int | None = None
    if cfg.network in ("slirp4netns", "pasta"):
        go_r, go_w = os.pipe()
    helper_p: socket.socket | None = None
    helper_c: socket.socket | None = None
    if cfg.listeners:
        import socket as socket_mod  # noqa: PLC0415

        helper_p, helper_c = socket_mod.socketpair(socket_mod.AF_UNIX, socket_mod.SOCK_SEQPACKET)
    pty_master: int | None = None
    if cfg.tty:
        pty_master, slave = os.openpty()
        os.set_inheritable(slave, False)
        cfg.rootfs.tty_fd = slave
        _copy_winsize(pty_master)
    p_only = [status_r, pid_r, *(x for x in (go_w, pty_master) if x is not None)]
    if helper_p is not None:
        p_only.append(helper_p.fileno())
    try:
        child = fork_in_userns(
            lambda: _c_main(
                cfg,
                status_w=status_w,
                pid_w=pid_w,
                go_r=go_r,
                helper=helper_c,
                close_fds=p_only,
            ),
            plan=plan,
            flags=flags,
        )
    except BaseException:
        for fd in (status_r, status_w, pid_r, pid_w, go_r, go_w, pty_master, cfg.rootfs.tty_fd):
            if fd is not None:
                os.close(fd)
        for s in (helper_p, helper_c):
            if s is not None:
                s.close()
        raise
    os.close(status_w)
    os.close(pid_w)
    if go_r is not None:
        os.close(go_r)
    if helper_c is not None:
        helper_c.close()
    if cfg.rootfs.tty_fd is not None:
        os.close(cfg.rootfs.tty_fd)
        cfg.rootfs.tty_fd = None
    net: Helper | None = None
    try:
        g_pid = int(read_all(pid_r) or b"0")
        if g_pid and go_w is not None:
            try:
                net = start_helper(cfg.network, child.pid, cfg.helper_log)
            finally:
                with contextlib.suppress(OSError):
                    os.write(go_w, b"g")
                os.close(go_w)
                go_w = None
        warnings, error = _read_status(status_r)
    except BaseException:
        _kill_and_reap(child)
        if net is not None:
            net.stop()
        raise
    finally:
        os.close(status_r)
        os.close(pid_r)
        if go_w is not None:
            os.close(go_w)
    if error is not None or not g_pid:
        code = child.wait()
        if net is not None:
            net.stop()
        if helper_p is not None:
            helper_p.close()
        if pty_master is not None:
            os.close(pty_master)
        if error is None:
            raise RunError(f"the container's init process exited early (status {code})")
        ecode, check, message = error
        raise RunError(message, check_id=check, exit_code=ExitCode(ecode))
    return Session(
        cfg,
        child,
        g_pid=g_pid,
        helper=helper_p,
        net=net,
        warnings=warnings,
        pty_master=pty_master,
    )


def _kill_and_reap(child: Child) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)
    child.wait()


def _read_status(fd: int) -> tuple[list[tuple[str, str]], tuple[int, str | None, str] | None]:
    warnings: list[tuple[str, str]] = []
    error = None
    for line in read_all(fd).decode(errors="replace").splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "W":
            check, _, text = rest.partition("\t")
            warnings.append((check, text))
        elif kind == "E":
            code_s, check, message = [*rest.split("\t", 2), "", ""][:3]
            code = int(code_s) if code_s.isdigit() else ExitCode.ENGINE
            if code not in (ExitCode.ENGINE, ExitCode.CANNOT_INVOKE, ExitCode.NOT_FOUND):
                code = ExitCode.ENGINE
            error = (code, None if check in ("", "-") else check, message)
    return warnings, error


def _copy_winsize(master: int) -> None:
    import fcntl  # noqa: PLC0415
    import termios  # noqa: PLC0415

    for fd in (0, 1, 2):
        try:
            size = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
        except OSError:
            continue
        with contextlib.suppress(OSError):
            fcntl.ioctl(master, termios.TIOCSWINSZ, size)
        return


class RawTerminal:
    """The host terminal in raw mode while a ``-t`` container runs."""

    def __init__(self, fd: int) -> None:
        import termios  # noqa: PLC0415
        import tty  # noqa: PLC0415

        self.fd = fd
        self.saved = termios.tcgetattr(fd)
        tty.setraw(fd)

    def restore(self) -> None:
        import termios  # noqa: PLC0415

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


__all__ = [
    "DEFAULT_CAPS",
    "MappingError",
    "RawTerminal",
    "RunConfig",
    "RunError",
    "Session",
    "SignalProxy",
    "remove_tree",
    "start",
]
