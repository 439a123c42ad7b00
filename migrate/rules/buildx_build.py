"""`docker buildx build` -> `podman build`; `--push` split into build + push."""

from __future__ import annotations

from rootless.migrate.edits import delete_opt, delete_words, index_of
from rootless.migrate.model import DOCS, Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import engine_call, target_word


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_call(cmd):
        return
    inv = cmd.invocation
    if inv.action != "buildx build" or len(inv.subcommand) != 2:
        return
    buildx = inv.subcommand[0]
    platforms = [p for o in inv.opts("--platform") for p in (o.value or "x,y").split(",")]
    if len(platforms) > 1:
        yield RULE.note(
            buildx.start,
            "a multi-platform build with --tag would overwrite the tag per platform in podman",
            severity=Severity.WARNING,
            fix="podman build --platform ... --manifest NAME . && podman manifest push --all NAME docker://NAME",
        )
        return
    for o in inv.opts("--cache-to", "--cache-from", "--output"):
        if "type=" in (o.value_text or ""):
            yield RULE.note(
                o.start,
                f"{o.name} with BuildKit exporter syntax (type=...) is not understood by podman",
                severity=Severity.WARNING,
                fix=f"{o.name} takes a repository name in podman (e.g. {o.name} quay.io/me/cache)",
            )
            return
    edits: list[Edit] = [delete_words(cmd, index_of(cmd, buildx), index_of(cmd, buildx))]
    edits += [delete_opt(cmd, o) for o in inv.opts("--load")]
    pushes = inv.opts("--push")
    message = "podman's build is the buildx build (buildah inside)"
    if pushes:
        tags = [o.value_text for o in inv.opts("--tag")]
        if not tags or any(t is None or "`" in t for t in tags):
            yield RULE.note(
                pushes[0].start,
                "podman build has no --push and the tag is not known here",
                severity=Severity.WARNING,
                fix="podman build -t IMAGE . && podman push IMAGE",
            )
            return
        if cmd.in_pipeline or cmd.redirected or cmd.background or cmd.in_substitution:
            yield RULE.note(
                pushes[0].start,
                "podman build has no --push; this command is part of a pipeline or redirected, "
                "so it is not split automatically",
                severity=Severity.WARNING,
                fix=f"add `{target_word(cmd)} push {tags[0]}` after the build",
            )
            return
        edits += [delete_opt(cmd, o) for o in pushes]
        engine = target_word(cmd)
        edits.append(Edit.insert(cmd.end, "".join(f" && {engine} push {t}" for t in tags)))
        message = "podman build has no --push: the build is followed by podman push"
    yield RULE.change(edits, buildx.start, message, severity=Severity.REVIEW)


RULE = Rule(
    id="buildx-build",
    summary="buildx build -> build; --load dropped; --push split into build && push",
    example="docker buildx build --push -t r/app:1 .  ->  podman build -t r/app:1 . && podman push r/app:1",
    severity=Severity.REVIEW,
    link=f"{DOCS}/podman-build.1.html",
    on_command=check,
    actions=frozenset({"buildx build"}),
)
