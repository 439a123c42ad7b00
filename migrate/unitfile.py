"""systemd unit files: a small parser with byte offsets, the ``Exec*=`` word splitter, and
a writer/validator for the Quadlet files we generate.

``configparser`` is no use here: units repeat keys (``ExecStartPre=`` twice), continue
lines with ``\\``, and comments matter for the span edits. The parser keeps every entry's
key and value spans in the file; the splitter follows systemd's command-line rules
(prefixes ``-@:+!``, double and single quotes, backslash escapes) and leaves specifiers
(``%n %i %t %h``) and ``$VAR`` expansions exactly as written, because the Quadlet file
is read by systemd again, which expands them there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Exec prefixes (systemd.service(5) "Command lines")
EXEC_PREFIX = re.compile(r"^(?:[-@:+!]|!!)*")


@dataclass(frozen=True)
class Entry:
    section: str
    key: str
    #: the value with continuations joined (a ``\\`` + newline reads as a space)
    value: str
    #: file offsets: start of the key, start and end of the value (end excludes the newline)
    start: int
    value_start: int
    value_end: int
    #: 1-based line of the key
    line: int


@dataclass
class UnitFile:
    entries: list[Entry] = field(default_factory=list)
    #: section name -> offset of its header
    sections: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def get(self, section: str, key: str) -> list[Entry]:
        return [e for e in self.entries if e.section == section and e.key == key]

    def first(self, section: str, key: str) -> Entry | None:
        found = self.get(section, key)
        return found[-1] if found else None

    def in_section(self, section: str) -> list[Entry]:
        return [e for e in self.entries if e.section == section]


def parse_unit(data: bytes) -> UnitFile:
    """Sections and ``Key=Value`` entries with their spans (never raises)."""
    text = data.decode("utf-8", "surrogateescape")
    out = UnitFile()
    section = ""
    pos = 0  # byte offset
    lineno = 0
    lines = text.split("\n")
    i = 0
    # byte offsets of each line start
    starts: list[int] = []
    for ln in lines:
        starts.append(pos)
        pos += len(ln.encode("utf-8", "surrogateescape")) + 1
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            i += 1
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                out.problems.append((starts[i], f"line {lineno}: malformed section header"))
            section = stripped.strip("[]")
            out.sections.setdefault(section, starts[i])
            i += 1
            continue
        if "=" not in line:
            out.problems.append((starts[i], f"line {lineno}: not Key=Value"))
            i += 1
            continue
        key_raw, _, rest = line.partition("=")
        key = key_raw.strip()
        lead = len(line) - len(line.lstrip())
        kstart = starts[i] + len(line[:lead].encode())
        vcol = len(key_raw) + 1
        vcol += len(rest) - len(rest.lstrip())
        vstart = starts[i] + len(line[:vcol].encode("utf-8", "surrogateescape"))
        parts = [rest.strip()]
        end_line = i
        while parts[-1].endswith("\\") and end_line + 1 < len(lines):
            parts[-1] = parts[-1][:-1]
            end_line += 1
            nxt = lines[end_line].rstrip("\r")
            if nxt.lstrip()[:1] in ("#", ";"):
                parts.append("\\")  # comment lines inside a continuation are skipped
                continue
            parts.append(nxt.strip())
        value = " ".join(p for p in parts if p != "\\").strip()
        last = lines[end_line].rstrip("\r")
        vend = starts[end_line] + len(last.rstrip().encode("utf-8", "surrogateescape"))
        out.entries.append(Entry(section, key, value, kstart, vstart, max(vend, vstart), lineno))
        i = end_line + 1
    return out


# -- command lines --------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", " ": " ", ";": ";", "s": " "}


def split_exec(value: str) -> tuple[str, list[str]] | None:
    """``(prefixes, words)`` of an ``Exec*=`` value; None if quoting is unbalanced.

    Quotes and backslash escapes are undone; ``%`` specifiers and ``$VAR`` stay as they are.
    """
    m = EXEC_PREFIX.match(value)
    prefixes = m.group(0) if m else ""
    s = value[len(prefixes) :]
    words: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        while i < n and s[i] in " \t\n":
            i += 1
        if i >= n:
            break
        buf: list[str] = []
        while i < n and s[i] not in " \t\n":
            c = s[i]
            if c in "\"'":
                j = i + 1
                while j < n and s[j] != c:
                    if s[j] == "\\" and c == '"' and j + 1 < n:
                        buf.append(_ESCAPES.get(s[j + 1], "\\" + s[j + 1]))
                        j += 2
                        continue
                    buf.append(s[j])
                    j += 1
                if j >= n:
                    return None
                i = j + 1
            elif c == "\\" and i + 1 < n:
                buf.append(_ESCAPES.get(s[i + 1], "\\" + s[i + 1]))
                i += 2
            else:
                buf.append(c)
                i += 1
        words.append("".join(buf))
    return prefixes, words


_NEEDS_QUOTES = re.compile(r"[\s\"'\\;]")


def quote_word(word: str) -> str:
    """One argument as systemd (and Quadlet's ``Exec=``/``PodmanArgs=``) splits it back."""
    if word and not _NEEDS_QUOTES.search(word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def quote_words(words: list[str]) -> str:
    return " ".join(quote_word(w) for w in words)


def quote_env(assignment: str) -> str:
    """``KEY=value`` for ``Environment=`` (quoted as a whole when it has blanks or quotes)."""
    return quote_word(assignment)


# -- writing and checking Quadlet files ------------------------------------------------


@dataclass
class UnitWriter:
    """Sections of ``key=value`` lines, written in insertion order (values already quoted)."""

    header: list[str] = field(default_factory=list)
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, section: str, key: str, value: str) -> None:
        self.sections.setdefault(section, []).append((key, value))

    def comment(self, section: str, text: str) -> None:
        self.sections.setdefault(section, []).append(("#", text))

    def render(self) -> str:
        out: list[str] = [f"# {h}" for h in self.header]
        for name, items in self.sections.items():
            if not items:
                continue
            if out:
                out.append("")
            out.append(f"[{name}]")
            for k, v in items:
                out.append(f"# {v}" if k == "#" else f"{k}={v}")
        return "\n".join(out) + "\n"


#: keys of a Quadlet ``[Container]`` section that the generator may write
#: (podman-systemd.unit(5); all present in podman 5.0, the oldest Quadlet we target)
CONTAINER_KEYS = frozenset(
    {"Image", "ContainerName", "PublishPort", "Volume", "Mount", "Environment",
     "EnvironmentFile", "Network", "NetworkAlias", "Exec", "Entrypoint", "User", "Group",
     "UserNS", "AddCapability", "DropCapability", "AddDevice", "SecurityLabelDisable",
     "Label", "Annotation", "LogDriver", "HostName", "WorkingDir", "Pull", "PodmanArgs",
     "GlobalArgs", "Tmpfs", "Ulimit", "ReadOnly", "Timezone", "AddHost", "DNS",
     "ShmSize", "StopTimeout", "Notify", "HealthCmd", "HealthInterval", "HealthRetries",
     "HealthTimeout", "HealthStartPeriod", "PidsLimit", "Memory", "Sysctl", "Secret",
     "IP", "IP6", "Pod", "AutoUpdate", "RunInit", "NoNewPrivileges", "LogOpt"}
)  # fmt: skip
REQUIRED = {"Container": ("Image",)}


def check_quadlet(text: str) -> list[str]:
    """Problems of a generated ``.container`` file (empty: it has what Quadlet requires).

    Checks what podman's quadlet generator rejects or silently mishandles: a missing
    ``[Container]`` section or ``Image=``, keys Quadlet does not know in ``[Container]``,
    empty values, values with unbalanced quotes, lines that are not ``Key=Value``, and an
    ``[Install]`` section without a target.
    """
    unit = parse_unit(text.encode())
    problems = [p for _, p in unit.problems]
    if "Container" not in unit.sections:
        problems.append("no [Container] section")
    for section, keys in REQUIRED.items():
        for key in keys:
            if not unit.get(section, key):
                problems.append(f"[{section}] has no {key}=")
    for e in unit.entries:
        if e.section == "Container" and e.key not in CONTAINER_KEYS:
            problems.append(f"line {e.line}: unknown [Container] key {e.key}")
        if not e.value:
            problems.append(f"line {e.line}: {e.key}= is empty")
        if (
            e.key in ("Exec", "PodmanArgs", "GlobalArgs", "Environment")
            and split_exec(e.value) is None
        ):
            problems.append(f"line {e.line}: unbalanced quotes in {e.key}=")
    if "Install" in unit.sections and not (
        unit.get("Install", "WantedBy") or unit.get("Install", "RequiredBy")
    ):
        problems.append("[Install] without WantedBy=/RequiredBy=")
    return problems
