"""GitHub Actions steps using docker/* actions -> the podman/buildah actions (suggestions)."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure

REDHAT = "https://github.com/redhat-actions"


def _with(s: Structure, step: object, *keys: str) -> dict[str, str]:
    from rootless.migrate.yamlspan import YNode  # noqa: PLC0415

    assert isinstance(step, YNode)
    w = step.get("with")
    out: dict[str, str] = {}
    if w is None or not w.is_map:
        return out
    for k in keys:
        v = w.get(k)
        if v is not None and v.is_scalar:
            a, b = v.text_span() if v.style not in ("|", ">") else (v.start, v.end)
            out[k] = (
                s.text(a, b) if v.style not in ("|", ">") else v.value.strip().replace("\n", ",")
            )
    return out


def _steps(s: Structure) -> list[object]:
    root = s.root
    out: list[object] = []
    jobs = root.get("jobs")
    if jobs is not None and jobs.is_map:
        for _, _, job in jobs.own():
            steps = job.get("steps") if job.is_map else None
            if steps is not None and steps.is_seq:
                out += [st for st in steps.items if st.is_map]
    runs = root.get("runs")
    steps = runs.get("steps") if runs is not None and runs.is_map else None
    if steps is not None and steps.is_seq:
        out += [st for st in steps.items if st.is_map]
    return out


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    for step in _steps(s):
        uses = step.get("uses")  # type: ignore[attr-defined]
        if uses is None or not uses.is_scalar:
            continue
        action = uses.value.split("@", 1)[0]
        if action == "docker/login-action":
            w = _with(s, step, "registry", "username", "password")
            snippet = "uses: redhat-actions/podman-login@v1 with: " + ", ".join(
                f"{k}: {v}" for k, v in w.items()
            )
            yield RULE.note(
                uses.start,
                "docker/login-action logs the Docker CLI in; podman and buildah read their own "
                "auth file",
                fix=snippet,
            )
        elif action == "docker/setup-buildx-action":
            yield RULE.note(
                uses.start,
                "buildx needs a BuildKit builder; buildah builds (also multi-arch) without one: "
                "this step can go",
                fix="remove the step (keep docker/setup-qemu-action for other architectures)",
            )
        elif action == "docker/build-push-action":
            w = _with(s, step, "context", "file", "tags", "platforms", "build-args", "push")
            parts = ["uses: redhat-actions/buildah-build@v2 with:"]
            if "tags" in w:
                parts.append(f"tags: {w['tags']}")
            if "file" in w:
                parts.append(f"containerfiles: {w['file']}")
            if "context" in w:
                parts.append(f"context: {w['context']}")
            if "platforms" in w:
                parts.append(f"platforms: {w['platforms']}")
            if "build-args" in w:
                parts.append(f"build-args: {w['build-args']}")
            fix = " ".join(parts)
            if (
                w.get("push", "").strip("'\"")
                in ("true", "${{ github.event_name != 'pull_request' }}")
                or "push" in w
            ):
                fix += (
                    "; then uses: redhat-actions/push-to-registry@v2 with: image: "
                    "${{ steps.build.outputs.image }}, tags: ${{ steps.build.outputs.tags }}"
                )
            yield RULE.note(
                uses.start,
                "docker/build-push-action drives BuildKit through the Docker daemon; "
                "buildah-build builds daemonless (and push-to-registry pushes)",
                fix=fix,
            )


RULE = Rule(
    id="docker-actions",
    summary="GitHub Actions docker/login|setup-buildx|build-push-action -> podman-login, buildah-build, push-to-registry (suggestions)",
    example="uses: docker/build-push-action@v5  ->  (info) uses: redhat-actions/buildah-build@v2",
    severity=Severity.INFO,
    link=REDHAT,
    on_structure=check_structure,
    structures=frozenset({"github-actions"}),
)
