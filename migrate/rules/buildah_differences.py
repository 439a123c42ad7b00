"""Dockerfile features that behave differently (or need a newer podman) under buildah."""

from __future__ import annotations

import re

from rootless.migrate.model import DOCS, Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure

BUILD = f"{DOCS}/podman-build.1.html"
CACHE_OPTS = re.compile(r"--mount=(?:[^ ]*,)?type=cache(?:,[^ ]*)?")


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.dockerfile import Dockerfile  # noqa: PLC0415

    df: Dockerfile = s.root
    syntax = df.directives.get("syntax")
    if syntax is not None:
        yield RULE.note(
            syntax[0],
            f"`# syntax={syntax[1]}` selects a BuildKit frontend image: buildah ignores it "
            "and uses its own parser, so newer frontend features may not be there",
            fix="check the build with `podman build` (features listed in the podman-build man page)",
        )
    format_needed = []
    for ins in df.instructions:
        kw = ins.keyword
        if kw == "RUN":
            for at, w in ins.words:
                if not w.startswith("--"):
                    break
                if w.startswith("--mount=") and "type=cache" in w:
                    opts = [o.split("=", 1)[0] for o in w[len("--mount=") :].split(",")]
                    odd = [o for o in opts if o in ("sharing", "id", "from", "source")]
                    yield RULE.note(
                        at,
                        "RUN --mount=type=cache works with buildah, but its cache lives in "
                        "buildah's per-user directory (not shared with Docker's, empty at first)"
                        + (
                            f"; {', '.join(odd)} differ(s) in detail (e.g. sharing=locked is "
                            "per process, id= names buildah's cache)"
                            if odd
                            else ""
                        ),
                        severity=Severity.INFO,
                    )
                elif w.startswith(("--network=", "--security=")):
                    yield RULE.note(
                        at,
                        f"RUN {w.split('=', 1)[0]} needs `podman build` options to match "
                        "(--network, and --security=insecure is BuildKit-only)",
                    )
            if ins.heredoc:
                yield RULE.note(
                    ins.start,
                    "heredocs in RUN/COPY need a recent buildah (podman 4.9 or later); older "
                    "podman fails to parse the file",
                )
        elif kw in ("COPY", "ADD"):
            for at, w in ins.words:
                if not w.startswith("--"):
                    break
                if w == "--link" or w.startswith("--link="):
                    yield RULE.note(
                        at,
                        f"{kw} --link needs buildah 1.41 (podman 5.6) or later; older podman "
                        f"rejects it ('{kw} only supports the --chmod=… --chown=… and the "
                        "--from=… flags')",
                        fix="drop --link (it only changes layer reuse) when building with older podman",
                    )
        elif kw in ("HEALTHCHECK", "ONBUILD"):
            format_needed.append((ins.start, kw))
    for at, kw in format_needed:
        yield RULE.note(
            at,
            f"{kw} is dropped from images in the default OCI format ('{kw} is not supported "
            "for OCI image format and will be ignored')",
            fix="build with `podman build --format docker` (or BUILDAH_FORMAT=docker)",
        )


RULE = Rule(
    id="buildah-differences",
    summary="Dockerfile features that differ under buildah (# syntax=, cache mounts, HEALTHCHECK, COPY --link, heredocs)",
    example="HEALTHCHECK CMD curl -f localhost  ->  (warning) podman build --format docker",
    severity=Severity.WARNING,
    link=BUILD,
    on_structure=check_structure,
    structures=frozenset({"dockerfile"}),
)
