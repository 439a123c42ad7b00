"""Image references a file uses, with their lines (for ``rootless migrate --verify``).

Collected from the same models the rules see: ``run``/``create``/``pull`` commands in shell
regions (images the script builds itself are skipped), compose ``image:`` (without
``build:``; an interpolation default counts), Dockerfile ``FROM`` (stages, ``scratch``
and ARG-only references skipped; a global ARG default counts) and the image of a unit's
``docker run``. References are returned fully qualified, as they will be after migration;
anything that still contains a variable is left out (it cannot be asked about).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .regions import Region
from .shell import ShellDocument
from .structure import Structure

_VAR_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}")


def _final(ref: str) -> str | None:
    from .rules.short_image_name import qualify  # noqa: PLC0415

    ref = _VAR_DEFAULT.sub(r"\1", ref.strip().strip("\"'"))
    if not ref or "$" in ref or "{" in ref or " " in ref:
        return None
    return qualify(ref) or ref


def from_shell(docs: Iterable[ShellDocument]) -> Iterable[tuple[int, str]]:
    from .rules._util import engine_call  # noqa: PLC0415
    from .rules.short_image_name import _repo, local_images  # noqa: PLC0415

    for doc in docs:
        for cmd in doc.commands:
            if not engine_call(cmd) or (doc.unsound and not doc.is_sound(cmd.start, cmd.end)):
                continue
            inv = cmd.invocation
            image = inv.image
            if image is None or image.value is None or inv.has("--rootfs"):
                continue
            if _repo(image.value) in local_images(doc):
                continue
            ref = _final(image.value)
            if ref is not None:
                yield doc.region.host_point(image.start), ref


def from_structure(s: Structure) -> Iterable[tuple[int, str]]:
    if s.kind == "compose":
        from .compose import services  # noqa: PLC0415

        for svc in services(s):
            image = svc.node.get("image")
            if image is None or not image.is_scalar or svc.node.get("build") is not None:
                continue
            ref = _final(image.value)
            if ref is not None:
                yield image.start, ref
    elif s.kind == "dockerfile":
        from .dockerfile import image_refs  # noqa: PLC0415

        for at, text in image_refs(s.root):
            ref = _final(text)
            if ref is not None:
                yield at, ref
    elif s.kind == "unit":
        from .quadlet import runs_container  # noqa: PLC0415

        for e in s.root.get("Service", "ExecStart"):
            found = runs_container(e)
            if found is None:
                continue
            from .dockercli import parse_invocation  # noqa: PLC0415
            from .quadlet import _words  # noqa: PLC0415

            word = parse_invocation(_words(found[1])).image
            ref = _final(word.text) if word is not None else None
            if ref is not None:
                yield e.value_start, ref


def collect(
    docs: Iterable[ShellDocument], structure: Structure | None, regions_used: bool
) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    if regions_used:
        out += from_shell(docs)
    if structure is not None:
        out += from_structure(structure)
    seen: set[tuple[int, str]] = set()
    return [x for x in sorted(out) if not (x in seen or seen.add(x))]  # type: ignore[func-returns-value]


__all__ = ["Region", "collect"]
