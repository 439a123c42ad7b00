"""Docker commands run on another host (ssh) are left alone, with a warning."""

from __future__ import annotations

import re

from rootless.migrate.model import Severity
from rootless.migrate.registry import Result, Rule, RuleContext
from rootless.migrate.shell import Command, ShellDocument

WORD = re.compile(r"(?<![\w./~-])(?:sudo\s+)?docker(?:-compose)?(?![\w.-])")
REMOTE = frozenset({"ssh", "autossh", "mosh"})
FIX = "migrate the remote host and its scripts separately (`rootless doctor` there), then edit this line"


def check(cmd: Command, ctx: RuleContext) -> Result:
    if cmd.node_type != "command" or cmd.program not in REMOTE:
        return
    for w in cmd.args:
        if WORD.search(w.text):
            yield RULE.note(
                w.start, "this docker command runs on the remote host: left unchanged", fix=FIX
            )
            return


def check_document(doc: ShellDocument, ctx: RuleContext) -> Result:
    for start, end, receiver in doc.heredocs:
        if receiver is None or receiver.program not in REMOTE:
            continue
        if WORD.search(doc.text(start, end)):
            yield RULE.note(
                start,
                "docker commands in this heredoc run on the remote host: left unchanged",
                fix=FIX,
            )


RULE = Rule(
    id="remote-engine",
    summary="docker run over ssh (arguments or heredoc) is left alone: warn",
    example="ssh prod 'docker ps'  ->  (warning) runs remotely, unchanged",
    severity=Severity.WARNING,
    link="https://docs.podman.io/en/latest/markdown/podman-system-connection.1.html",
    on_command=check,
    scope="any",
    programs=REMOTE,
    on_document=check_document,
)
