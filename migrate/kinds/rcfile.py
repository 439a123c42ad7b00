"""Shell start-up files: ``.bashrc``, ``.bash_aliases``, ``.zshrc``, ``.profile``, bash-it aliases.

They are shell; what makes them special is that they hold aliases and functions, whose
bodies the driver re-parses (see :mod:`rootless.migrate.embedded`).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from rootless.migrate.regions import Region

from .base import Extraction, FileKind

NAMES = frozenset(
    {".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".bash_aliases", ".profile",
     ".zshrc", ".zprofile", ".zshenv", ".zlogin", ".kshrc", ".mkshrc", ".aliases",
     "bashrc", "bash_aliases", "profile", "zshrc", ".bash_functions", ".functions"}
)  # fmt: skip
SUFFIXES = (".aliases.bash", ".plugin.bash", ".aliases.sh", ".plugin.zsh", ".aliases.zsh")


def detect(path: PurePosixPath, head: bytes) -> bool:
    name = path.name
    return (
        name in NAMES
        or name.endswith(SUFFIXES)
        or (path.parent.name == "profile.d" and name.endswith(".sh"))
    )


def extract(data: bytes) -> Extraction:
    return Extraction(regions=[Region.whole(data, origin="rc file")])


KIND = FileKind("rc", "shell start-up file (aliases, functions)", detect, extract)
