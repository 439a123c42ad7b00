"""Short image names -> fully qualified (`nginx` -> `docker.io/library/nginx`)."""

from __future__ import annotations

import re

from rootless.migrate.model import Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext, StructureResult
from rootless.migrate.shell import Command, ShellDocument
from rootless.migrate.structure import Structure

from ._util import engine_call

REF = re.compile(
    r"^(?P<name>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)
LINK = "https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md#short-name-aliasing"


def qualify(ref: str) -> str | None:
    """The fully qualified reference, or None if ``ref`` is already qualified or not a ref."""
    m = REF.match(ref)
    if m is None:
        return None
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return None
    return f"docker.io/{ref}" if rest else f"docker.io/library/{ref}"


def qualify_prefix(ref: str) -> str | None:
    """What to insert before ``ref`` when only its tag is variable (``node:${V}-alpine``)."""
    if "$" not in ref:
        full = qualify(ref)
        return None if full is None else full[: len(full) - len(ref)]
    cut = min((i for i in (ref.find(":"), ref.find("@")) if i >= 0), default=-1)
    if cut <= 0 or "$" in ref[:cut]:
        return None
    full = qualify(ref[:cut])
    return None if full is None else full[: len(full) - cut]


def _repo(ref: str) -> str:
    ref = ref.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref[: ref.rfind(":")]
    return ref


def local_images(doc: ShellDocument) -> set[str]:
    """Names the script builds or tags itself (they are local: never qualify them)."""
    cached: set[str] | None = doc.memo.get("local_images")
    if cached is not None:
        return cached
    names: set[str] = set()
    doc.memo["local_images"] = names
    for c in doc.commands:
        if not engine_call(c):
            continue
        inv = c.invocation
        if inv.action in ("build", "buildx build", "builder build"):
            names.update(_repo(o.value) for o in inv.opts("--tag") if o.value)
        elif (
            inv.action in ("tag", "image tag", "commit", "container commit")
            and len(inv.positionals) >= 2
        ):
            v = inv.positionals[1].value
            if v:
                names.add(_repo(v))
    return names


def check(cmd: Command, ctx: RuleContext) -> Result:
    mode = ctx.settings.image_mode
    if mode == "off" or not engine_call(cmd):
        return
    inv = cmd.invocation
    image = inv.image
    if image is None or image.value is None or inv.has("--rootfs"):
        return
    full = qualify(image.value)
    if full is None or ctx.doc is None or _repo(image.value) in local_images(ctx.doc):
        return
    why = (
        "podman resolves short names through registries.conf: with no TTY it fails "
        "(short-name enforcement) or may pick another registry; Docker always meant docker.io"
    )
    if mode == "suggest":
        yield RULE.note(image.start, why, severity=Severity.INFO, fix=f"use {full}")
        return
    at = image.start + (1 if image.quoted else 0)
    yield RULE.change(
        [Edit.insert(at, full[: len(full) - len(image.value)])],
        image.start,
        why,
        severity=Severity.REVIEW,
    )


WHY = (
    "podman resolves short names through registries.conf: with no TTY it fails "
    "(short-name enforcement) or may pick another registry; Docker always meant docker.io"
)


def qualify_at(start: int, ref: str, ctx: RuleContext, what: str = "") -> Result:
    """Change (or suggestion) qualifying ``ref`` written at file offset ``start``."""
    prefix = qualify_prefix(ref)
    if prefix is None:
        return
    if ctx.settings.image_mode == "suggest":
        yield RULE.note(start, WHY + what, severity=Severity.INFO, fix=f"use {prefix}{ref}")
        return
    yield RULE.change([Edit.insert(start, prefix)], start, WHY + what, severity=Severity.REVIEW)


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    if ctx.settings.image_mode == "off":
        return
    if s.kind == "compose":
        from rootless.migrate.compose import services, whole_literal  # noqa: PLC0415

        for svc in services(s):
            image = svc.node.get("image")
            if image is None or svc.node.get("build") is not None:
                continue  # with build: the image name is the local tag
            lit = whole_literal(s, image)
            if lit is not None:
                yield from qualify_at(lit[0], lit[2], ctx)
            elif image.is_scalar and image.style in (None, "'", '"'):
                a, b = image.text_span()
                raw = s.text(a, b)
                if not raw.startswith("$") and "\\" not in raw and "\n" not in raw:
                    yield from qualify_at(a, raw, ctx)
    elif s.kind == "dockerfile":
        from rootless.migrate.dockerfile import image_refs  # noqa: PLC0415

        for start, ref in image_refs(s.root):
            yield from qualify_at(start, ref, ctx)


RULE = Rule(
    id="short-image-name",
    summary="short image names -> fully qualified (--images apply|suggest|off)",
    example="docker run nginx:1.25  ->  podman run docker.io/library/nginx:1.25",
    severity=Severity.REVIEW,
    link=LINK,
    on_command=check,
    actions=frozenset({"run", "create", "pull", "image pull"}),
    on_structure=check_structure,
    structures=frozenset({"compose", "dockerfile"}),
)
