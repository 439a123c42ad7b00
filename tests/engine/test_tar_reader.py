"""The engine's own tar reader sees what Python's tarfile and GNU tar see, in every format."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from rootless.engine.layers import LayerError, TarReader

LONG = "deep/" + "d" * 120 + "/" + "f" * 110 + ".txt"


def _build(fmt: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data, kw in [
            ("plain.txt", b"hello\n", {}),
            (LONG, b"long name\n", {}),
            (
                "big-uid",
                b"x" * 1000,
                {"uid": 3_000_000 if fmt != tarfile.USTAR_FORMAT else 100_000, "gid": 65534},
            ),
            ("exec", b"#!/bin/sh\n", {"mode": 0o4755}),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            for k, v in kw.items():
                setattr(info, k, v)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link-" + "l" * 110)
        link.type = tarfile.SYMTYPE
        link.linkname = "/target/" + "t" * 120
        tf.addfile(link)
        d = tarfile.TarInfo("a-dir")
        d.type = tarfile.DIRTYPE
        d.mode = 0o1777
        tf.addfile(d)
    return buf.getvalue()


def _ours(data: bytes) -> list[tuple]:
    reader = TarReader(io.BufferedReader(io.BytesIO(data)))
    out = []
    while (e := reader.next()) is not None:
        body = b""
        if e.isreg() and e.size:
            r, w = os.pipe()
            reader.copy_to(w)
            os.close(w)
            with os.fdopen(r, "rb") as fh:
                body = fh.read()
        out.append(
            (
                e.name.rstrip("/"),
                e.isdir(),
                e.issym(),
                e.size if e.isreg() else 0,
                e.uid,
                e.gid,
                e.mode & 0o7777,
                e.linkname,
                body,
            )
        )
    return out


def _theirs(data: bytes) -> list[tuple]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        for m in tf:
            body = tf.extractfile(m).read() if m.isreg() else b""  # type: ignore[union-attr]
            out.append(
                (
                    m.name,
                    m.isdir(),
                    m.issym(),
                    m.size if m.isreg() else 0,
                    m.uid,
                    m.gid,
                    m.mode & 0o7777,
                    m.linkname,
                    body,
                )
            )
    return out


@pytest.mark.parametrize(
    "fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu long names", "pax records"]
)
def test_reader_matches_tarfile(fmt: int) -> None:
    data = _build(fmt)
    assert _ours(data) == _theirs(data)


def test_reader_matches_gnu_tar_output(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub" / ("n" * 150)).mkdir(parents=True)
    (src / "sub" / ("n" * 150) / "file").write_bytes(b"data" * 3000)
    (src / "hard").write_bytes(b"h")
    os.link(src / "hard", src / "hard2")
    os.symlink("hard", src / "sym")
    for fmt in ("gnu", "posix", "ustar"):
        if fmt == "ustar":
            (src / "sub" / ("n" * 150) / "file").unlink()
            (src / "sub" / ("n" * 150)).rmdir()
        data = subprocess.run(
            ["tar", f"--format={fmt}", "--sort=name", "-C", str(src), "-cf", "-", "."],
            capture_output=True,
            check=True,
        ).stdout
        assert _ours(data) == _theirs(data), fmt


def test_global_pax_header_applies_to_later_entries() -> None:
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"uid": "4242"}
    ) as tf:
        info = tarfile.TarInfo("f")
        tf.addfile(info)
    reader = TarReader(io.BufferedReader(io.BytesIO(buf.getvalue())))
    entry = reader.next()
    assert entry is not None
    assert entry.uid == 4242


def test_corrupt_checksum_is_refused() -> None:
    data = bytearray(_build(tarfile.GNU_FORMAT))
    data[10] ^= 0x41
    with pytest.raises(LayerError, match="bad checksum"):
        TarReader(io.BufferedReader(io.BytesIO(bytes(data)))).next()


def test_sparse_entries_are_refused() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("sparse")
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
        tf.addfile(info)
    with pytest.raises(LayerError, match="sparse"):
        TarReader(io.BufferedReader(io.BytesIO(buf.getvalue()))).next()


def test_truncated_data_is_refused() -> None:
    data = _build(tarfile.GNU_FORMAT)[:700]
    reader = TarReader(io.BufferedReader(io.BytesIO(data)))
    assert reader.next() is not None

    with pytest.raises(LayerError, match="truncated"):
        reader.next()


def test_multi_member_gzip_and_zstd_frames_decompress_whole(tmp_path: Path) -> None:
    import gzip

    from rootless.engine.layers import LayerSource, sniff_bytes

    tar = _build(tarfile.PAX_FORMAT)
    half = len(tar) // 2
    estargz_like = gzip.compress(tar[:half]) + gzip.compress(tar[half:]) + b"\0" * 64
    import zstandard  # a test dependency (pyproject's test extra)

    frames = b"".join(
        zstandard.ZstdCompressor().compress(tar[i : i + 1000]) for i in range(0, len(tar), 1000)
    )
    for blob, kind in ((estargz_like, "gzip"), (frames, "zstd"), (tar, "tar")):
        assert sniff_bytes(blob[:4]) == kind
        path = tmp_path / kind
        path.write_bytes(blob)
        with open(path, "rb", buffering=0) as fh:
            out = LayerSource(fh, kind, "", "x").stream().read()
        assert out == tar, kind
