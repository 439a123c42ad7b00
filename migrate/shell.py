"""Shell text as rules see it: commands, words with byte spans, assignments, contexts.

Parsing uses tree-sitter-bash (imported lazily). Only the parts of the tree that can matter
are visited: the driver finds every occurrence of ``docker``/``podman`` (and of engine
variables) with one regular expression, asks the tree for the node there and walks up to
the enclosing command. A 100 kB script with three ``docker`` calls therefore costs one C
parse and three short walks, not a Python walk over every node.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from .regions import Region

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

ENGINES = ("docker", "podman")
ENGINE_PATHS = {
    "docker": "docker",
    "/usr/bin/docker": "docker",
    "/usr/local/bin/docker": "docker",
    "/bin/docker": "docker",
    "podman": "podman",
    "/usr/bin/podman": "podman",
    "/usr/local/bin/podman": "podman",
    "/bin/podman": "podman",
}
COMPOSE_WORDS = {
    "docker-compose": "docker-compose",
    "/usr/bin/docker-compose": "docker-compose",
    "/usr/local/bin/docker-compose": "docker-compose",
    "podman-compose": "podman-compose",
}

#: variable names that (by convention) hold the container engine
ENGINE_VAR_RE = re.compile(
    r"^(?:[A-Z_]*DOCKER(?:_(?:CMD|BIN|BINARY|EXE|EXECUTABLE|CLI|COMMAND|PATH|PROG|PROGRAM|TOOL))?|[A-Z_]*ENGINE|CONTAINER_(?:CLI|RUNTIME|TOOL|CMD|BIN|EXE|ENGINE)|OCI_(?:BIN|RUNTIME|CLI)|PODMAN(?:_(?:CMD|BIN))?)$"
)

#: where a rule could possibly care: engine words and engine-ish variable references
INTEREST_RE = re.compile(
    rb"(?i:docker|podman)|\$\{?(?:[A-Z_]*ENGINE|CONTAINER_[A-Z_]+|OCI_[A-Z_]+)\b"
)

#: shell wrappers that run their arguments as a command: name -> options taking a value
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset(
        {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user", "--group"}
    ),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p", "--class", "--classdata"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "xargs": frozenset(
        {
            "-a", "-d", "-E", "-e", "-I", "-i", "-L", "-l", "-n", "-P", "-s",
            "--arg-file", "--delimiter", "--eof", "--replace", "--max-lines",
            "--max-args", "--max-procs", "--max-chars", "--process-slot-var",
        }
    ),
}  # fmt: skip
#: wrappers with one positional argument before the command (timeout DURATION cmd)
WRAPPER_POSITIONALS = {"timeout": 1}

REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
PROBES = frozenset({"which", "type", "hash", "whereis"})


_ENGINE_VAR_HINTS = (b"ENGINE", b"CONTAINER_", b"OCI_")
_ENGINE_VAR_RE = re.compile(rb"\$\{?(?:[A-Z_]*ENGINE|CONTAINER_[A-Z_]+|OCI_[A-Z_]+)\b")


def _interest(src: bytes) -> list[tuple[int, int]]:
    """Spans of ``docker``/``podman`` (any case) and of engine-variable references."""
    low = src.lower()
    out = []
    for word in (b"docker", b"podman"):
        i = low.find(word)
        while i >= 0:
            out.append((i, i + 6))
            i = low.find(word, i + 6)
    if any(h in src for h in _ENGINE_VAR_HINTS):
        out += [m.span() for m in _ENGINE_VAR_RE.finditer(src)]
    out.sort()
    return out


@lru_cache(maxsize=1)
def _parser() -> Parser:
    import tree_sitter_bash  # noqa: PLC0415 - heavy, only when parsing
    from tree_sitter import Language, Parser  # noqa: PLC0415

    return Parser(Language(tree_sitter_bash.language()))


def parse(source: bytes) -> Tree:
    """Parse shell text (never raises; syntax errors become ERROR/MISSING nodes)."""
    return _parser().parse(source)


def count_errors(source: bytes) -> int:
    """Number of ERROR and MISSING nodes in the parse of ``source`` (0: clean)."""
    tree = parse(source)
    if not tree.root_node.has_error:
        return 0
    return sum(1 for _ in _error_nodes(tree.root_node))


def count_errors_after_edits(
    tree: Tree, old: bytes, new: bytes, edits: Sequence[tuple[int, int, bytes]]
) -> int:
    """Errors in ``new`` (``old`` with ``edits`` applied), re-parsed incrementally from ``tree``.

    ``tree`` is edited in place (it belongs to ``old`` and is of no use afterwards).
    """
    starts = [0]
    i = old.find(b"\n")
    while i >= 0:
        starts.append(i + 1)
        i = old.find(b"\n", i + 1)

    def point(offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(starts, offset) - 1
        return row, offset - starts[row]

    for s, e, t in sorted(edits, reverse=True):
        start = point(s)
        nl = t.count(b"\n")
        if nl:
            new_end = (start[0] + nl, len(t) - t.rfind(b"\n") - 1)
        else:
            new_end = (start[0], start[1] + len(t))
        tree.edit(
            start_byte=s,
            old_end_byte=e,
            new_end_byte=s + len(t),
            start_point=start,
            old_end_point=point(e),
            new_end_point=new_end,
        )
    root = _parser().parse(new, tree).root_node
    if not root.has_error:
        return 0
    return sum(1 for _ in _error_nodes(root))


def _error_nodes(root: Node) -> Iterator[Node]:
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            yield n
            continue
        if n.has_error:
            stack.extend(n.children)


def _unescape_dq(text: str) -> str:
    return re.sub(r'\\([\\"$`])', r"\1", text)


def _unescape_word(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def static_value(node: Node, src: bytes) -> str | None:
    """The value of a word if it is fixed text (quotes removed), else None."""
    t = node.type
    text = src[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")
    if t in ("word", "number", "command_name", "variable_name", "extglob_pattern", "test_operator"):
        if t == "command_name":
            return static_value(node.children[0], src) if node.child_count == 1 else None
        if "$" in text or "`" in text:
            return None
        return _unescape_word(text) if "\\" in text else text
    if t == "raw_string":
        return text[1:-1]
    if t == "string":
        inner = text[1:-1]
        if ("$" in inner or "`" in inner) and any(
            c.type not in ('"', "string_content") for c in node.children
        ):
            return None
        return _unescape_dq(inner) if "\\" in inner else inner
    if t == "concatenation":
        parts = [static_value(c, src) for c in node.children]
        if any(p is None for p in parts):
            return None
        return "".join(p for p in parts if p is not None)
    return None


class Word(NamedTuple):
    """One shell word: raw text as written, byte span in its region, fixed value if any."""

    start: int
    end: int
    text: str
    value: str | None
    type: str = "word"

    @property
    def quoted(self) -> bool:
        return self.text[:1] in ("'", '"')


_new_word = tuple.__new__


def make_word(node: Node, src: bytes, t: str | None = None) -> Word:
    """The word for a node (``t``: its type, when the caller already has it)."""
    s, e = node.start_byte, node.end_byte
    text = src[s:e].decode("utf-8", "surrogateescape")
    if t is None:
        t = node.type
    if t == "word":  # the common case, without a second look at the node
        value = (
            None if "$" in text or "`" in text else _unescape_word(text) if "\\" in text else text
        )
        return _new_word(Word, (s, e, text, value, t))
    return _new_word(Word, (s, e, text, static_value(node, src), t))


class Prefix(NamedTuple):
    """A wrapper before the real command: ``sudo -E``, ``env A=1``, ``timeout 10``, ..."""

    kind: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Assignment:
    """``NAME=value`` (shell, ``export``/``local``, Makefile ``NAME ?= value``, env file)."""

    name: str
    start: int
    end: int
    value: Word | None
    region: Region
    #: "shell", "make", "env", ...
    dialect: str = "shell"
    operator: str = "="
    #: the command this assignment prefixes (``DOCKER_HOST=x docker ps``), if any
    prefixes_command: bool = False


_UNSET: Any = object()


class Command:
    """A simple command with wrappers peeled off.

    ``words`` are all words of the command as written (wrappers included); ``name_index``
    points at the effective command word (after ``sudo -E``, ``env X=1``, ``timeout 5``...).
    A plain class with slots (thousands per script): the engine, its resolution and the
    parsed invocation are computed on first use.
    """

    __slots__ = (
        "_engine",
        "_invocation",
        "_sudo",
        "_unresolved",
        "args",
        "assignments",
        "background",
        "doc",
        "end",
        "has_heredoc",
        "in_function",
        "in_pipeline",
        "in_substitution",
        "name",
        "name_index",
        "node_type",
        "prefixes",
        "program",
        "redirected",
        "start",
        "via_variable",
        "words",
    )

    def __init__(  # noqa: PLR0917 - the dataclass signature it replaces
        self,
        start: int,
        end: int,
        words: list[Word],
        name_index: int,
        prefixes: list[Prefix],
        assignments: list[Assignment],
        doc: ShellDocument,
        *,
        node_type: str = "command",
        in_function: bool = False,
        in_substitution: bool = False,
        in_pipeline: bool = False,
        redirected: bool = False,
        background: bool = False,
        has_heredoc: bool = False,
        via_variable: str | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.words = words
        self.name_index = name_index
        self.prefixes = prefixes
        self.assignments = assignments
        self.doc = doc
        #: "command" or "test" (``[ ... ]``/``[[ ... ]]``)
        self.node_type = node_type
        self.in_function = in_function
        self.in_substitution = in_substitution
        self.in_pipeline = in_pipeline
        self.redirected = redirected
        self.background = background
        #: the command feeds a heredoc (``cat <<EOF``) or here-string
        self.has_heredoc = has_heredoc
        #: the engine named by a variable (``$DOCKER run``): resolved value if known
        self.via_variable = via_variable
        name = words[name_index] if name_index < len(words) else None
        #: the effective command word
        self.name: Word | None = name
        #: the command word's fixed value (``/usr/bin/docker`` stays a path)
        self.program: str | None = name.value if name is not None else None
        self.args: list[Word] = words[name_index + 1 :]
        sudo: Prefix | None = None
        for p in prefixes:
            if p.kind in ("sudo", "doas"):
                sudo = p
                break
        self._sudo = sudo
        self._engine: Any = _UNSET
        self._unresolved: Any = _UNSET
        self._invocation: Any = None

    def __repr__(self) -> str:
        return f"Command({self.start}, {self.end}, {[w.text for w in self.words]!r})"

    @property
    def region(self) -> Region:
        return self.doc.region

    @property
    def engine(self) -> str | None:
        """ "docker" or "podman" when this runs the engine (directly or through a variable)."""
        eng = self._engine
        if eng is _UNSET:
            w = self.name
            if w is None:
                eng = None
            elif w.value is not None:
                eng = ENGINE_PATHS.get(w.value)
            else:
                eng = self.doc.resolve_engine_word(w)
            self._engine = eng
        return eng  # type: ignore[no-any-return]

    @property
    def engine_unresolved(self) -> bool:
        """The command word is a variable that looks like an engine but has no known value."""
        u = self._unresolved
        if u is _UNSET:
            w = self.name
            u = (
                w is not None
                and w.value is None
                and self.engine is None
                and (name := variable_name(w.text)) is not None
                and ENGINE_VAR_RE.match(name) is not None
            )
            self._unresolved = u
        return u  # type: ignore[no-any-return]

    @property
    def is_engine_call(self) -> bool:
        """A docker/podman invocation (literal, resolved variable, or engine-looking variable)."""
        return self.node_type == "command" and (self.engine in ENGINES or self.engine_unresolved)

    @property
    def sudo(self) -> Prefix | None:
        """The ``sudo``/``doas`` wrapper, if any."""
        return self._sudo

    def gap(self, i: int) -> str:
        """The source text between word ``i`` and word ``i + 1``."""
        a, b = self.words[i], self.words[i + 1]
        return self.doc.text(a.end, b.start)

    @property
    def invocation(self) -> Any:
        """The engine's arguments parsed (:class:`rootless.migrate.dockercli.Invocation`)."""
        inv = self._invocation
        if inv is None:
            from .dockercli import parse_invocation  # noqa: PLC0415

            inv = self._invocation = parse_invocation(self.args)
        return inv


_VAR_WORD = re.compile(
    r'^"?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))"?$'
)
_SET_DEFAULT = re.compile(r'^"?\$\{([A-Za-z_][A-Za-z0-9_]*):?=([^}$]*)\}"?$')
_DEFAULT_WORD = re.compile(r'^"?\$\{([A-Za-z_][A-Za-z0-9_]*):?[-=]([^}$]*)\}"?$')


def variable_name(text: str) -> str | None:
    """``$X``, ``${X}``, ``"$X"``, ``${X:-y}`` -> ``X``."""
    m = _VAR_WORD.match(text)
    if not m:
        return None
    return m.group(1) or m.group(2)


def expansion_default(text: str) -> str | None:
    """``${X:-docker}`` -> ``docker``."""
    m = _DEFAULT_WORD.match(text)
    return m.group(2) if m else None


_ENGINE_WORDS = tuple((e, re.compile(rf"(?<![\w./]){e}(?![\w./-])")) for e in ENGINES)


class Selection(NamedTuple):
    """Evidence that a script chooses between engines (probe, test, case, assignment)."""

    engine: str
    offset: int


@dataclass
class ShellDocument:
    """A parsed region plus what the rules need from it."""

    region: Region
    #: variables known from the host file (Makefile ``DOCKER ?= docker``)
    external_vars: dict[str, str] = field(default_factory=dict)
    extra_interest: Sequence[bytes] = ()

    def __post_init__(self) -> None:
        self.source = self.region.source
        self.tree = parse(self.source)
        self.commands: list[Command] = []
        self.assignments: list[Assignment] = []
        #: (heredoc body node span, the command that receives it)
        self.heredocs: list[tuple[int, int, Command | None]] = []
        #: engine -> offsets where the script selects/probes that engine
        self.selections: list[Selection] = []
        self.unsound: list[tuple[int, int]] = []
        self.error_offsets: list[int] = []
        self._seen: set[tuple[int, int, str]] = set()
        self._by_span: dict[tuple[int, int, str], Any] = {}
        #: document-level facts rules compute once (e.g. locally built image names)
        self.memo: dict[str, Any] = {}
        self._collect()

    # -- helpers ------------------------------------------------------------------------

    def text(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", "surrogateescape")

    def is_sound(self, start: int, end: int) -> bool:
        return not any(a < end and start < b for a, b in self.unsound)

    @cached_property
    def engine_vars(self) -> dict[str, str]:
        """Variable name -> engine ("docker"/"podman") for variables set to an engine."""
        out: dict[str, str] = {}
        for name, value in self.external_vars.items():
            eng = _engine_of_value(value)
            if eng:
                out[name] = eng
        for a in self.assignments:
            if a.value is None:
                continue
            eng = _engine_of_value(a.value.value if a.value.value is not None else a.value.text)
            if eng:
                out.setdefault(a.name, eng)
        for c in self.commands:  # `: ${DOCKER=docker}` sets a default too
            if c.program == ":":
                for w in c.args:
                    m = _SET_DEFAULT.match(w.text)
                    if m and m.group(2) in ENGINE_PATHS:
                        out.setdefault(m.group(1), ENGINE_PATHS[m.group(2)])
        return out

    def resolve_engine_word(self, w: Word) -> str | None:
        default = expansion_default(w.text)
        if default is not None and default in ENGINE_PATHS:
            return ENGINE_PATHS[default]
        name = variable_name(w.text)
        if name is None:
            return None
        return self.engine_vars.get(name)

    # -- collection -----------------------------------------------------------------------

    def _collect(self) -> None:
        root = self.tree.root_node
        if root.has_error:
            for n in _error_nodes(root):
                s, e = n.start_byte, n.end_byte
                # widen to whole lines: edits next to a parse error are not trusted
                ls = self.source.rfind(b"\n", 0, s) + 1
                le = self.source.find(b"\n", e)
                self.unsound.append((ls, len(self.source) if le < 0 else le + 1))
                self.error_offsets.append(s)
        positions = _interest(self.source)
        for pat in self.extra_interest:
            positions += [m.span() for m in re.finditer(pat, self.source)]
        for s, e in positions:
            self._visit(root.descendant_for_byte_range(s, e), s)
        # engine variables used as command words: `$E run` where E=docker was found above
        names = [n for n in self.engine_vars if not INTEREST_RE.search(b"$" + n.encode())]
        if names:
            pat = rb"\$\{?(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\b"
            for m in re.finditer(pat, self.source):
                self._visit(root.descendant_for_byte_range(*m.span()), m.start())
        self.commands.sort(key=lambda c: (c.start, -c.end))

    def _visit(self, node: Node | None, at: int) -> None:
        word_node: Node | None = None
        n = node
        while n is not None:
            t = n.type
            if t == "comment":
                return
            if t == "heredoc_body":
                self._heredoc(n)
                return
            if t == "case_item":
                if (
                    word_node is not None
                    and word_node.parent is not None
                    and word_node.parent.id == n.id
                ):
                    self._selection(word_node, at)
                return
            if t == "variable_assignment":
                a = self._assignment(n)
                if a is not None and a.value is not None and a.value.start <= at < a.value.end:
                    self._selection_text(a.value.text, at)
                n = n.parent
                continue
            if t == "test_command":
                self._test(n)
                self._selection_text(self.text(n.start_byte, n.end_byte), at)
                return
            if t == "command":
                cmd = self._command(n)
                if cmd is not None and cmd.node_type == "command":
                    prog = cmd.program
                    if (prog in PROBES or (prog == "command" and _is_probe(cmd))) or prog in (
                        "test",
                        "[",
                    ):
                        self._selection_text(self.text(n.start_byte, n.end_byte), at)
                return
            if t in ("word", "string", "raw_string", "concatenation", "extglob_pattern"):
                word_node = n
            n = n.parent

    def _selection(self, node: Node, at: int) -> None:
        self._selection_text(self.text(node.start_byte, node.end_byte), at)

    def _selection_text(self, text: str, at: int) -> None:
        for eng, rx in _ENGINE_WORDS:
            if rx.search(text):
                self.selections.append(Selection(eng, at))

    def _heredoc(self, body: Node) -> None:
        key = (body.start_byte, body.end_byte, "heredoc")
        if key in self._seen:
            return
        self._seen.add(key)
        receiver: Command | None = None
        n = body.parent
        while n is not None:
            if n.type == "redirected_statement":
                first = n.children[0] if n.children else None
                if first is not None and first.type == "command":
                    receiver = self._command(first)
                break
            n = n.parent
        self.heredocs.append((body.start_byte, body.end_byte, receiver))

    def _assignment(self, n: Node) -> Assignment | None:
        key = (n.start_byte, n.end_byte, "assign")
        if key in self._seen:
            found: Assignment | None = self._by_span.get(key)
            return found
        self._seen.add(key)
        name_node = n.child_by_field_name("name")
        value_node = n.child_by_field_name("value")
        if name_node is None:
            return None
        op = "+=" if any(c.type == "+=" for c in n.children) else "="
        parent = n.parent
        a = Assignment(
            name=self.text(name_node.start_byte, name_node.end_byte),
            start=n.start_byte,
            end=n.end_byte,
            value=make_word(value_node, self.source) if value_node is not None else None,
            region=self.region,
            operator=op,
            prefixes_command=parent is not None and parent.type == "command",
        )
        self.assignments.append(a)
        self._by_span[key] = a
        return a

    def _test(self, n: Node) -> None:
        key = (n.start_byte, n.end_byte, "test")
        if key in self._seen:
            return
        self._seen.add(key)
        words: list[Word] = [Word(n.start_byte, n.start_byte + 1, "[", "[", "[")]
        stack = list(reversed(n.children))
        while stack:
            c = stack.pop()
            if c.type in (
                "word",
                "string",
                "raw_string",
                "concatenation",
                "number",
                "test_operator",
            ):
                words.append(make_word(c, self.source))
            elif c.named_child_count:
                stack.extend(reversed(c.children))
        self.commands.append(
            Command(n.start_byte, n.end_byte, words, 0, [], [], self, node_type="test")
        )

    def _command(self, n: Node) -> Command | None:
        key = (n.start_byte, n.end_byte, "command")
        if key in self._seen:
            found: Command | None = self._by_span.get(key)
            return found
        self._seen.add(key)
        words: list[Word] = []
        assigns: list[Assignment] = []
        src = self.source
        for c in n.named_children:  # anonymous children are never words
            t = c.type
            if t == "variable_assignment":
                a = self._assignment(c)
                if a is not None:
                    assigns.append(a)
            elif t in REDIRECTS or t == "comment":
                continue
            elif t == "command_name":
                if c.child_count == 1:
                    c = c.child(0)  # noqa: PLW2901
                    words.append(make_word(c, src))
                else:
                    words.append(make_word(c, src, t))
            else:
                words.append(make_word(c, src, t))
        if not words:
            return None
        prefixes, name_index = _peel(words)
        cmd = Command(n.start_byte, n.end_byte, words, name_index, prefixes, assigns, self)
        self._context(cmd, n)
        self.commands.append(cmd)
        self._by_span[key] = cmd
        return cmd

    def _context(self, cmd: Command, n: Node) -> None:
        stmt = n
        p = n.parent
        while p is not None:
            t = p.type
            if t == "pipeline":
                cmd.in_pipeline = True
                stmt = p
            elif t == "redirected_statement":
                cmd.redirected = True
                if any(c.type in ("heredoc_redirect", "herestring_redirect") for c in p.children):
                    cmd.has_heredoc = True
                stmt = p
            elif t == "negated_command":
                cmd.in_pipeline = True
                stmt = p
            elif t == "heredoc_redirect":
                cmd.in_pipeline = True  # `cat <<EOF | docker load`: part of a pipeline
            elif t == "function_definition":
                cmd.in_function = True
                break
            elif t in ("command_substitution", "process_substitution"):
                cmd.in_substitution = True
                break
            elif t not in ("list",):
                break
            p = p.parent
        nxt = stmt.next_sibling
        if nxt is not None and nxt.type == "&":
            cmd.background = True
        cmd.via_variable = None if cmd.name is None or cmd.name.value is not None else cmd.name.text

    def release(self) -> None:
        """Drop what refers back to this document (commands, caches) once rules are done."""
        self.commands = []
        self.assignments = []
        self.heredocs = []
        self._by_span.clear()
        self.memo.clear()

    # -- rule-facing iteration ----------------------------------------------------------

    def sound_commands(self) -> Iterable[Command]:
        return (c for c in self.commands if self.is_sound(c.start, c.end))


def _engine_of_value(value: str) -> str | None:
    v = value.strip("\"'")
    if v in ENGINE_PATHS:
        return ENGINE_PATHS[v]
    d = expansion_default(v)
    if d is not None and d in ENGINE_PATHS:
        return ENGINE_PATHS[d]
    return None


def _is_probe(cmd: Command) -> bool:
    return any(w.value in ("-v", "-V") for w in cmd.args[:1])


def _peel(words: list[Word]) -> tuple[list[Prefix], int]:
    """Skip wrappers (``sudo -E``, ``env A=1``, ``timeout 5``, ``xargs -r``) to the real command."""
    prefixes: list[Prefix] = []
    i = 0
    while i < len(words):
        v = words[i].value
        if v is None or v not in WRAPPERS:
            break
        if v == "command" and i + 1 < len(words) and words[i + 1].value in ("-v", "-V"):
            break  # `command -v docker` is a probe, not a call
        start = i
        takes = WRAPPERS[v]
        i += 1
        positionals = WRAPPER_POSITIONALS.get(v, 0)
        while i < len(words):
            w = words[i].value
            if v in ("env", "sudo") and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[i].text):
                i += 1  # VAR=value, also when the value is not fixed (PATH=$PATH)
                continue
            if w is None:
                break
            if w == "--":
                i += 1
                break
            if w.startswith("-") and len(w) > 1:
                i += 2 if (w in takes and "=" not in w) else 1
                continue
            if v in ("env", "sudo") and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
                i += 1
                continue
            if positionals:
                positionals -= 1
                i += 1
                continue
            break
        prefixes.append(Prefix(v, tuple(words[start:i])))
    return prefixes, min(i, len(words))
