"""Engine probes: `command -v docker`, `which docker`, `[ -x /usr/bin/docker ]` -> podman."""

from __future__ import annotations

from rootless.migrate.edits import replace
from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import PROBES, Command, Word

NAMES = {"docker": "podman", "docker-compose": "podman-compose"}
PATHS = {
    "/usr/bin/docker": "/usr/bin/podman",
    "/usr/local/bin/docker": "/usr/bin/podman",
    "/bin/docker": "/usr/bin/podman",
}


def _probe_words(cmd: Command) -> list[Word]:
    prog = cmd.program
    if cmd.node_type == "test" or prog in ("test", "["):
        words = cmd.words
        out = []
        for i, w in enumerate(words[:-1]):
            if w.value in ("-x", "-f", "-e", "-s", "-L", "-h") and words[i + 1].value in PATHS:
                out.append(words[i + 1])
        return out
    if prog == "command" and cmd.args[:1] and cmd.args[0].value in ("-v", "-V"):
        return [w for w in cmd.args[1:] if w.value in NAMES or w.value in PATHS]
    if prog in PROBES:
        return [w for w in cmd.args if w.value in NAMES or w.value in PATHS]
    return []


def check(cmd: Command, ctx: RuleContext) -> Result:
    for w in _probe_words(cmd):
        assert w.value is not None
        new = NAMES.get(w.value) or PATHS[w.value]
        if w.text != w.value:  # quoted: keep the quotes
            new = w.text.replace(w.value, new)
        yield RULE.change(
            [replace(w, new)],
            w.start,
            f"the script checks for {w.value}; on a podman-only host that check fails",
            severity=Severity.REVIEW,
        )


RULE = Rule(
    id="engine-probe",
    summary="probes for the docker binary look for podman",
    example="command -v docker >/dev/null || exit 1  ->  command -v podman >/dev/null || exit 1",
    severity=Severity.REVIEW,
    link="https://github.com/containers/podman/issues/18248",
    on_command=check,
    scope="any",
    programs=frozenset({"command", "which", "type", "hash", "whereis", "test", "["}),
    renames_engine=True,
)
