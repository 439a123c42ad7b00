"""Shell scripts: by extension or by shebang."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rootless.migrate.regions import Region

from .base import Extraction, FileKind, first_line

EXTENSIONS = frozenset({".sh", ".bash", ".ksh", ".dash", ".zsh", ".ash", ".bats"})
NAMES = frozenset({".envrc"})
SHEBANG = re.compile(rb"^#!\s*\S*(?:/|\s)(?:env\s+(?:-\S+\s+)*)?(?:ba|da|k|mk|z|a|busybox\s+)?sh\b")


def is_shebang_shell(head: bytes) -> bool:
    return SHEBANG.match(first_line(head)) is not None


def detect(path: PurePosixPath, head: bytes) -> bool:
    return path.suffix in EXTENSIONS or path.name in NAMES or is_shebang_shell(head)


def extract(data: bytes) -> Extraction:
    return Extraction(regions=[Region.whole(data, origin="script")])


KIND = FileKind("shell", "shell script (by extension or shebang)", detect, extract)
