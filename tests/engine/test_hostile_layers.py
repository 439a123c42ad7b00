"""Hostile layers: each case is unpacked for real (user namespace + chroot, as the test
user) and must be refused or neutralised, with nothing written outside the rootfs."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from harness import TestUser
from oci_registry import LayerBuilder, gz

pytestmark = pytest.mark.userns

CONFIG = "sha256:" + "ab" * 32
MARKER = f"rootless-hostile-{os.getpid()}"

_RUNNER = r"""
import hashlib, json, sys
from pathlib import Path
from rootless.engine.store import Store
from rootless.engine.unpack import LayerToApply, unpack
from rootless.errors import RootlessError
case = Path(sys.argv[1])
spec = json.loads((case / "spec.json").read_text())
store = Store(case / "store")
store.ensure()
layers = []
for name, diff_id in spec["layers"]:
    data = (case / name).read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    store.put_blob(digest, data)
    layers.append(LayerToApply(digest, diff_id))
try:
    unpack(store, spec["config"], layers)
    print(json.dumps({"ok": True}))
except RootlessError as exc:
    print(json.dumps({"ok": False, "error": exc.message}))
"""


@dataclass
class Case:
    id: str
    build: Callable[[Path], list[bytes]]  # case dir -> layer tarballs
    refused: str | None  # expected error text, or None when it must be neutralised
    check: Callable[[Path, Path], None] | None = None  # (rootfs, case dir)
    gzip: bool = True
    diff_ids: Callable[[list[bytes]], list[str]] | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _tar(*steps: Callable[[LayerBuilder], object]) -> bytes:
    lb = LayerBuilder()
    for step in steps:
        step(lb)
    return lb.tarball()


def _raw(
    name: str,
    type_: bytes = tarfile.REGTYPE,
    *,
    size: int = 0,
    linkname: str = "",
    pax: dict[str, str] | None = None,
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = type_
    info.size = size
    info.linkname = linkname
    info.mode = 0o644
    if pax:
        info.pax_headers = pax
    return info


def _absent(path: str) -> Callable[[Path, Path], None]:
    def check(rootfs: Path, case: Path) -> None:
        assert not (rootfs / path).exists(), path

    return check


def _present(path: str, data: bytes | None = None) -> Callable[[Path, Path], None]:
    def check(rootfs: Path, case: Path) -> None:
        p = rootfs / path
        assert p.exists() or p.is_symlink(), path
        if data is not None:
            assert p.read_bytes() == data

    return check


CASES = [
    Case(
        "dotdot file name climbing out of the root is refused",
        lambda c: [_tar(lambda lb: lb.file("../../outside/victim.txt", b"pwned"))],
        "points outside",
    ),
    Case(
        "dotdot hidden inside a deeper path is refused",
        lambda c: [_tar(lambda lb: lb.file("a/b/../../../outside/victim.txt", b"pwned"))],
        "points outside",
    ),
    Case(
        "absolute host path lands inside the rootfs",
        lambda c: [_tar(lambda lb: lb.file(f"{c}/outside/victim.txt", b"pwned"))],
        None,
        lambda r, c: _present(f"{str(c).lstrip('/')}/outside/victim.txt", b"pwned")(r, c),
    ),
    Case(
        "absolute /tmp path lands in the rootfs /tmp",
        lambda c: [_tar(lambda lb: lb.file(f"/tmp/{MARKER}", b"pwned"))],
        None,
        _present(f"tmp/{MARKER}", b"pwned"),
    ),
    Case(
        "symlink to an absolute host dir followed by a write is refused",
        lambda c: [
            _tar(
                lambda lb: lb.symlink("esc", f"{c}/outside"),
                lambda lb: lb.file("esc/victim.txt", b"pwned"),
            )
        ],
        "symlink to a non-directory",
    ),
    Case(
        "symlink to / followed by a write stays in the rootfs",
        lambda c: [
            _tar(
                lambda lb: lb.symlink("root", "/"),
                lambda lb: lb.dir("tmp"),
                lambda lb: lb.file(f"root/tmp/{MARKER}", b"pwned"),
            )
        ],
        None,
        _present(f"tmp/{MARKER}", b"pwned"),
    ),
    Case(
        "symlink of many dotdots followed by a write stays in the rootfs",
        lambda c: [
            _tar(
                lambda lb: lb.symlink("up", "../../../../../../../.."),
                lambda lb: lb.file(f"up/{MARKER}", b"pwned"),
            )
        ],
        None,
        _present(MARKER, b"pwned"),
    ),
    Case(
        "symlink escape set up in one layer and written through in the next stays inside",
        lambda c: [
            _tar(lambda lb: lb.symlink("etc", "/../../../..")),
            _tar(lambda lb: lb.file(f"etc/{MARKER}", b"pwned")),
        ],
        None,
        _present(MARKER, b"pwned"),
    ),
    Case(
        "hardlink climbing out with dotdot is refused",
        lambda c: [_tar(lambda lb: lb.hardlink("hl", "../../outside/victim.txt"))],
        "points outside",
    ),
    Case(
        "hardlink to an absolute host file is refused",
        lambda c: [_tar(lambda lb: lb.hardlink("hl", f"{c}/outside/victim.txt"))],
        "does not exist in the image",
    ),
    Case(
        "hardlink reached through a symlink is refused",
        lambda c: [
            _tar(
                lambda lb: lb.symlink("s", "/"),
                lambda lb: lb.dir("etc"),
                lambda lb: lb.file("etc/passwd", b"root"),
                lambda lb: lb.hardlink("h", "s/etc/passwd"),
            )
        ],
        "through a symlink",
    ),
    Case(
        "hardlink to a directory is refused",
        lambda c: [_tar(lambda lb: lb.dir("d"), lambda lb: lb.hardlink("h", "d"))],
        "points at a directory",
    ),
    Case(
        "whiteout climbing out with dotdot is refused",
        lambda c: [_tar(lambda lb: lb.file("../outside/.wh.victim.txt"))],
        "points outside",
    ),
    Case(
        "whiteout of an absolute host path only touches the rootfs",
        lambda c: [_tar(lambda lb: lb.file(f"{c}/outside/.wh.victim.txt"))],
        None,
    ),
    Case(
        "whiteout through a symlink to a host dir is ignored",
        lambda c: [
            _tar(lambda lb: lb.symlink("s", f"{c}/outside")),
            _tar(lambda lb: lb.file("s/.wh.victim.txt")),
        ],
        None,
        _present("s"),
    ),
    Case(
        "opaque marker through a symlink to / is ignored",
        lambda c: [
            _tar(
                lambda lb: lb.dir("keep"),
                lambda lb: lb.file("keep/f", b"1"),
                lambda lb: lb.symlink("s", "/"),
            ),
            _tar(lambda lb: lb.file("s/.wh..wh..opq")),
        ],
        None,
        _present("keep/f", b"1"),
    ),
    Case(
        "bare whiteout name is refused",
        lambda c: [_tar(lambda lb: lb.file("dir/.wh."))],
        "invalid whiteout",
    ),
    Case(
        "absurd entry size is refused before writing",
        lambda c: [_tar(lambda lb: lb.raw(_raw("huge", size=10**15)))],
        "claims 1000000000000000 bytes",
    ),
    Case(
        "overlong entry name is refused",
        lambda c: [_tar(lambda lb: lb.file("a" * 5000, b"x"))],
        "longer than 4096",
    ),
    Case(
        "replacing the root directory with a file is refused",
        lambda c: [_tar(lambda lb: lb.raw(_raw("./", size=0)))],
        "replaces the root directory",
    ),
    Case(
        "device nodes are skipped, never created",
        lambda c: [
            _tar(
                lambda lb: lb.dir("dev"),
                lambda lb: lb.device("dev/sda", tarfile.BLKTYPE, 8, 0),
                lambda lb: lb.device("dev/mem", tarfile.CHRTYPE, 1, 1),
            )
        ],
        None,
        lambda r, c: (_absent("dev/sda")(r, c), _absent("dev/mem")(r, c)),
    ),
    Case(
        "symlink loop on the way to a file is refused",
        lambda c: [_tar(lambda lb: lb.symlink("a", "a"), lambda lb: lb.file("a/b", b"x"))],
        "symlink to a non-directory",
    ),
    Case(
        "trusted and overlay xattrs are dropped",
        lambda c: [
            _tar(
                lambda lb: lb.file(
                    "f",
                    b"x",
                    pax={
                        "SCHILY.xattr.trusted.overlay.opaque": "y",
                        "SCHILY.xattr.user.overlay.redirect": "/etc",
                    },
                )
            )
        ],
        None,
        lambda r, c: None,
    ),
    Case(
        "a truncated gzip layer is refused",
        lambda c: [gz(_tar(lambda lb: lb.file("big", os.urandom(200_000))))[:5000]],
        "truncated",
        gzip=False,
    ),
    Case(
        "a layer that does not match its diff_id is refused",
        lambda c: [_tar(lambda lb: lb.file("f", b"x"))],
        "does not match the image config",
        diff_ids=lambda tars: ["sha256:" + "0" * 64],
    ),
    Case(
        "an owner outside the mapped range is refused with the doctor check",
        lambda c: [_tar(lambda lb: lb.file("f", b"x", uid=70000, gid=70000))],
        "insufficient UIDs or GIDs",
    ),
    Case(
        "a NUL byte in a name is refused",
        lambda c: [_tar(lambda lb: lb.raw(_raw("x", pax={"path": "evil\x00name"})))],
        "NUL byte",
    ),
    Case(
        "a whiteout of a path created by the same layer keeps it",
        lambda c: [_tar(lambda lb: lb.file("same", b"1"), lambda lb: lb.file(".wh.same"))],
        None,
        _present("same", b"1"),
    ),
]


def _snapshot(case: Path) -> dict[str, tuple[int, int, bytes | None]]:
    out = {}
    for dirpath, dirs, files in os.walk(case):
        if Path(dirpath) == case:
            dirs[:] = [d for d in dirs if d != "store"]
        for name in dirs + files:
            p = Path(dirpath) / name
            st = p.lstat()
            data = p.read_bytes() if p.is_file() and not p.is_symlink() else None
            out[str(p)] = (st.st_mode, st.st_nlink, data)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_layer(case: Case, test_user: TestUser, user_tmp: Path) -> None:
    base = user_tmp / "case"
    base.mkdir()
    (base / "outside").mkdir()
    (base / "outside/victim.txt").write_bytes(b"victim")
    tars = case.build(base)
    layers = []
    for i, tar in enumerate(tars):
        blob = gz(tar) if case.gzip else tar
        (base / f"layer{i}").write_bytes(blob)
        raw = tar
        if not case.gzip:
            import gzip as gzmod
            import zlib

            try:
                raw = gzmod.decompress(tar)
            except (EOFError, zlib.error, OSError):
                raw = b""
        layers.append((f"layer{i}", "sha256:" + hashlib.sha256(raw).hexdigest()))
    if case.diff_ids:
        layers = [(n, d) for (n, _), d in zip(layers, case.diff_ids(tars), strict=True)]
    (base / "spec.json").write_text(json.dumps({"layers": layers, "config": CONFIG}))
    if os.geteuid() == 0:
        for p in [base, *base.rglob("*")]:
            os.lchown(p, test_user.uid, test_user.gid)
    before = _snapshot(base)

    res = test_user.python_cmd(_RUNNER, str(base))
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout.strip().splitlines()[-1])

    # nothing outside the rootfs changed: the case dir, /tmp, the user's home
    assert _snapshot(base) == before
    assert (base / "outside/victim.txt").read_bytes() == b"victim"
    assert not Path("/tmp", MARKER).exists()
    assert not (test_user.home / MARKER).exists()
    assert not Path("/", MARKER).exists()
    rootfs_dir = base / "store/rootfs"
    rootfs = rootfs_dir / CONFIG[7:]
    leftovers = sorted(p.name for p in rootfs_dir.iterdir() if p.name.startswith(".tmp-"))
    assert leftovers == []
    assert list((base / "store/tmp").iterdir()) == []
    if case.refused is not None:
        assert result["ok"] is False, result
        assert case.refused in result["error"]
        assert not rootfs.exists()
    else:
        assert result["ok"] is True, result
        assert rootfs.is_dir()
        if case.check:
            case.check(rootfs, base)
        for p in rootfs.rglob("*"):
            if p.is_file() and not p.is_symlink():
                names = os.listxattr(p, follow_symlinks=False)
                assert not [n for n in names if n.startswith(("trusted.", "user.overlay."))]
