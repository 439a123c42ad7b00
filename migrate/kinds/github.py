"""GitHub Actions workflows (``.github/workflows/*.yml``) and composite actions.

Every ``run:`` scalar (plain, quoted or block) becomes a shell region whose offsets map
back through the YAML indentation, folding and quote escapes; ``${{ expr }}`` reads as an
opaque ``${_gh_expr}`` word part. Steps whose ``shell:`` is not a POSIX shell are left
alone. ``env:`` values are assignments (``DOCKER_HOST``). The parsed workflow is the
structure for the actions rule (``docker/login-action`` and friends).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from rootless.migrate.regions import RegionBuilder
from rootless.migrate.shell import Assignment, Word
from rootless.migrate.structure import Structure
from rootless.migrate.yamlspan import YNode, scalar_region

from .base import Extraction, FileKind
from .yamlbase import load, parses

EXPR = re.compile(rb"\$\{\{.*?\}\}")
POSIX = ("bash", "sh", "")


def detect(path: PurePosixPath, head: bytes) -> bool:
    parts = path.parts
    if path.suffix in (".yml", ".yaml"):
        if len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows":
            return True
        if path.name in ("action.yml", "action.yaml") and b"runs:" in head:
            return True
    return False


def feed_expressions(b: RegionBuilder, start: int, end: int) -> None:
    """Copy, reading each ``${{ ... }}`` as ``${_gh_expr}``."""
    data = b.host
    run = start
    for m in EXPR.finditer(data, start, end):
        b.copy(run, m.start())
        b.substitute(m.start(), m.end(), b"${_gh_expr}")
        run = m.end()
    b.copy(run, end)


def _shell_of(node: YNode | None) -> str | None:
    if node is None:
        return None
    d = node.get("defaults")
    r = d.get("run") if d is not None else None
    sh = r.get("shell") if r is not None else None
    return sh.value if sh is not None and sh.is_scalar else None


def env_assignments(data: bytes, env: YNode | None, out: Extraction, dialect: str) -> None:
    if env is None or not env.is_map:
        return
    from rootless.migrate.regions import Region  # noqa: PLC0415

    whole = Region.whole(data, origin="YAML")
    for name, k, v in env.own():
        if not v.is_scalar or v.style in ("|", ">"):
            continue
        a, b = v.text_span()
        raw = data[a:b].decode("utf-8", "surrogateescape")
        out.assignments.append(
            Assignment(name, k.start, b, Word(a, b, raw, v.value), whole, dialect=dialect)
        )


def _steps_regions(
    data: bytes, steps: YNode | None, default_shell: str | None, out: Extraction
) -> None:
    if steps is None or not steps.is_seq:
        return
    for step in steps.items:
        if not step.is_map:
            continue
        env_assignments(data, step.get("env"), out, "yaml")
        run = step.get("run")
        if run is None or not run.is_scalar:
            continue
        sh = step.get("shell")
        shell = sh.value if sh is not None and sh.is_scalar else default_shell
        if (shell or "").split(" ", 1)[0].rsplit("/", 1)[-1] not in POSIX:
            continue
        region = scalar_region(data, run, origin="run: block", feed=feed_expressions)
        if region is not None:
            out.regions.append(region)


def extract(data: bytes) -> Extraction:
    out = Extraction()
    root = load(data, out, "workflow")
    if root is None or not root.is_map:
        return out
    out.structure = Structure("github-actions", data, root)
    env_assignments(data, root.get("env"), out, "yaml")
    wf_shell = _shell_of(root)
    jobs = root.get("jobs")
    if jobs is not None and jobs.is_map:
        for _, _, job in jobs.own():
            if not job.is_map:
                continue
            env_assignments(data, job.get("env"), out, "yaml")
            _steps_regions(data, job.get("steps"), _shell_of(job) or wf_shell, out)
    runs = root.get("runs")  # composite action
    if runs is not None and runs.is_map:
        _steps_regions(data, runs.get("steps"), None, out)
    return out


KIND = FileKind(
    "github-actions",
    "GitHub Actions workflow (run: blocks, docker actions)",
    detect,
    extract,
    parses=parses,
)
