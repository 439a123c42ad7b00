"""Per-container `--runtime` / `--storage-opt` are global options in podman."""

from __future__ import annotations

from rootless.migrate.edits import delete_opt
from rootless.migrate.model import DOCS, Edit, Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import RUN_CREATE, engine_action


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create") or cmd.name is None:
        return
    opts = cmd.invocation.opts("--runtime", "--storage-opt")
    if not opts:
        return
    for o in opts:
        if o.name == "--runtime" and (o.value or "").strip("\"'") == "nvidia":
            yield RULE.note(
                o.start,
                "--runtime=nvidia is not needed with podman: GPUs come through CDI devices",
                severity=Severity.WARNING,
                fix="--device nvidia.com/gpu=all, after sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml",
            )
            return
        if any(w.value is None for w in o.words[:1]):
            return
    moved = " ".join(" ".join(w.text for w in o.words) for o in opts)
    edits = [delete_opt(cmd, o) for o in opts]
    edits.append(Edit.insert(cmd.name.end, " " + moved))
    yield RULE.change(
        edits,
        opts[0].start,
        f"podman takes {', '.join(dict.fromkeys(o.name for o in opts))} before the sub-command "
        "(global options)",
        severity=Severity.REVIEW,
    )


RULE = Rule(
    id="global-options",
    summary="--runtime / --storage-opt move before the sub-command",
    example="docker run --runtime crun app  ->  podman --runtime crun run app",
    severity=Severity.REVIEW,
    link=f"{DOCS}/podman.1.html#global-options",
    on_command=check,
    options=frozenset({"--runtime", "--storage-opt"}),
    actions=RUN_CREATE,
)
