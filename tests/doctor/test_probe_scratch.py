"""The namespace probe's scratch directory: made beside the storage, removed without a trace."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rootless.doctor.host import _make_scratch, _remove_scratch


def test_scratch_is_a_fresh_private_directory_each_time(tmp_path: Path) -> None:
    first, second = _make_scratch(str(tmp_path)), _make_scratch(str(tmp_path))
    assert first != second
    for path in (first, second):
        assert os.path.basename(path).startswith(".rootless-doctor-overlay-")
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700


def test_removal_takes_the_overlay_layout_and_never_follows_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "dir" / "keep").write_text("keep")
    scratch = Path(_make_scratch(str(tmp_path)))
    for name in ("lower", "upper", "work/work", "merged"):
        (scratch / name).mkdir(parents=True)
    (scratch / "lower" / "keep").write_text("keep")
    (scratch / "upper" / "keep").write_text("keep+")
    (scratch / "upper" / "link-to-dir").symlink_to(outside / "dir")
    (scratch / "upper" / "link-to-file").symlink_to(outside / "dir" / "keep")
    (scratch / "work" / "work").chmod(0o700)  # as the probe leaves it
    _remove_scratch(str(scratch))
    assert not scratch.exists()
    assert (outside / "dir" / "keep").read_text() == "keep"


def test_removal_of_a_missing_tree_is_quiet(tmp_path: Path) -> None:
    _remove_scratch(str(tmp_path / "never-made"))
    assert list(tmp_path.iterdir()) == []
