"""What a rule is, and the lookup over the explicit list in :mod:`rootless.migrate.rules`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Change, Edit, NewFile, Note, Settings, Severity

if TYPE_CHECKING:
    from .shell import Assignment, Command, ShellDocument
    from .structure import Structure

Result = Iterable[Change | Note]
StructureResult = Iterable[Change | Note | NewFile]


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at besides the command: settings, the document, the file kind."""

    settings: Settings
    doc: ShellDocument | None
    kind: str


CommandHook = Callable[["Command", RuleContext], Result]
AssignmentHook = Callable[["Assignment", RuleContext], Result]
DocumentHook = Callable[["ShellDocument", RuleContext], Result]
StructureHook = Callable[["Structure", RuleContext], StructureResult]

#: ``tuple.__new__``: builds a NamedTuple without its Python-level ``__new__`` (hot path)
_new: Any = tuple.__new__

ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    """A rewrite rule: stable kebab-case id, one-line summary and example, and hooks.

    A hook yields :class:`~rootless.migrate.model.Change` and
    :class:`~rootless.migrate.model.Note` objects and never mutates anything. Hooks exist
    for shell commands, variable assignments (shell, Makefile, env files, YAML ``env:``)
    and whole shell documents, and for *structures*: the parsed model of a compose file,
    a systemd unit, a Dockerfile or a CI config (:mod:`rootless.migrate.structure`).
    A structure hook sees only the structure kinds listed in ``structures`` and may also
    yield :class:`~rootless.migrate.model.NewFile` (a generated Quadlet unit). Offsets in
    what it yields are file offsets.
    """

    id: str
    summary: str
    #: one line, ``before  ->  after`` (shown by ``--list-rules``)
    example: str
    severity: Severity
    link: str
    on_command: CommandHook | None = None
    on_assignment: AssignmentHook | None = None
    on_document: DocumentHook | None = None
    on_structure: StructureHook | None = None
    #: structure kinds the structure hook handles ("compose", "unit", "dockerfile", ...)
    structures: frozenset[str] = frozenset()
    #: switches the engine (docker -> podman): skipped in scripts that support both engines
    renames_engine: bool = False
    #: "engine": the command hook only sees docker/podman commands (the driver filters);
    #: "any": it sees every command that mentions an engine (probes, systemctl, ssh, alias)
    scope: str = "engine"
    #: engine sub-commands the command hook cares about (None: all), e.g. {"run", "create"}
    actions: frozenset[str] | None = None
    #: for "any"-scope hooks: the command words they care about (None: all; a None in the
    #: set stands for a command word that is not fixed text, like ``$DOCKER``)
    programs: frozenset[str | None] | None = None
    #: for engine-scope hooks: the management nouns (first word of the action, ``swarm``
    #: of ``swarm init``) without which the hook yields nothing (None: always run it)
    nouns: frozenset[str] | None = None
    #: the hooks only see documents whose region, or a region it was cut from, has one of
    #: these origins (``crontab``); None: every document
    origins: frozenset[str] | None = None
    #: for engine-scope hooks: option names (as :class:`~rootless.migrate.dockercli.Opt`
    #: names them) without which the hook yields nothing; the driver skips the hook when
    #: the command has none of them (None: always run it)
    options: frozenset[str] | None = None

    def note(
        self,
        offset: int,
        message: str,
        *,
        severity: Severity | None = None,
        fix: str | None = None,
        link: str | None = None,
    ) -> Note:
        note: Note = _new(
            Note, (self.id, severity or self.severity, offset, message, fix, link or self.link)
        )
        return note

    def change(
        self,
        edits: Iterable[Edit],
        offset: int,
        message: str,
        *,
        severity: Severity | None = None,
        fix: str | None = None,
        link: str | None = None,
    ) -> Change:
        note = _new(
            Note, (self.id, severity or self.severity, offset, message, fix, link or self.link)
        )
        change: Change = _new(Change, (tuple(edits), note))
        return change


def all_rules() -> tuple[Rule, ...]:
    from .rules import RULES  # noqa: PLC0415

    return RULES


def get_rule(rule_id: str) -> Rule:
    for r in all_rules():
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)


#: ids of notes the driver itself emits (not rules; listed with the rules)
DRIVER_NOTES = {
    "parse-error": "the shell parser found a syntax error: nothing near it is changed",
    "config-error": "the YAML/JSON/unit parser rejected the file: nothing in it is changed",
}
