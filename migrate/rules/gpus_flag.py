"""`--gpus all` -> `--device nvidia.com/gpu=all` (CDI)."""

from __future__ import annotations

import re

from rootless.migrate.edits import replace_opt
from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command

from ._util import RUN_CREATE, engine_action

CDI = "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html"
FIX = "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (once per driver update)"


def check(cmd: Command, ctx: RuleContext) -> Result:
    if not engine_action(cmd, "run", "create"):
        return
    for o in cmd.invocation.opts("--gpus"):
        v = (o.value or "").strip("\"'")
        if v == "all":
            devices = ["all"]
        else:
            m = re.fullmatch(r"device=([0-9a-zA-Z,-]+)", v)
            devices = m.group(1).split(",") if m else []
        if not devices:
            yield RULE.note(
                o.start,
                f"--gpus {o.value_text or ''}: podman needs GPUs named through CDI",
                severity=Severity.WARNING,
                fix="--device nvidia.com/gpu=0 (one --device per GPU), after " + FIX,
            )
            continue
        new = " ".join(f"--device nvidia.com/gpu={d}" for d in devices)
        yield RULE.change(
            replace_opt(cmd, o, new),
            o.start,
            "podman selects GPUs through CDI devices (older podman silently ignored --gpus)",
            severity=Severity.REVIEW,
            fix=FIX,
        )


RULE = Rule(
    id="gpus-flag",
    summary="--gpus all -> --device nvidia.com/gpu=all (CDI)",
    example="docker run --gpus all cuda  ->  podman run --device nvidia.com/gpu=all cuda",
    severity=Severity.REVIEW,
    link=CDI,
    on_command=check,
    options=frozenset({"--gpus"}),
    actions=RUN_CREATE,
)
