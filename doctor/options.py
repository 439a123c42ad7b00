"""The options of `rootless doctor`, and the fast path's parser (stdlib only, cheap to import)."""

from __future__ import annotations

from typing import NamedTuple

from rootless.errors import UsageError


class DoctorOptions(NamedTuple):
    """Everything `rootless doctor` was asked to do (from typer or from the fast path)."""

    ids: tuple[str, ...] = ()
    json_output: bool = False
    list_only: bool = False
    verbose: bool = False
    user: str | None = None
    probes: bool = True
    fix_script: str | None = None
    explain_text: str | None = None
    strict: bool = False
    #: host ports about to be published (checked by published-ports)
    ports: tuple[str, ...] = ()


class OptionParser:
    """The fast path's option parser (no typer/click/pydantic, not even argparse: start-up).

    ``--help`` never reaches it (the entry point sends it to typer), and it accepts exactly
    the options of :func:`rootless.doctor.cli.doctor` (a test compares the two).
    """

    #: option strings -> (field of DoctorOptions, takes a value)
    OPTIONS: tuple[tuple[tuple[str, ...], str, bool], ...] = (
        (("--json",), "json_output", False),
        (("--list",), "list_only", False),
        (("-v", "--verbose"), "verbose", False),
        (("--user",), "user", True),
        (("--no-probe",), "no_probe", False),
        (("--fix-script",), "fix_script", True),
        (("--explain",), "explain_text", True),
        (("--strict",), "strict", False),
        (("--port",), "ports", True),
    )
    #: options that may be given more than once (their values are collected)
    REPEATABLE = frozenset({"ports"})

    @classmethod
    def parse(cls, args: list[str]) -> DoctorOptions:
        known = {flag: (dest, takes) for flags, dest, takes in cls.OPTIONS for flag in flags}
        values: dict[str, object] = {}
        ids: list[str] = []
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                ids += rest
                break
            if not arg.startswith("-") or arg == "-":
                ids.append(arg)
                continue
            name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if name not in known:
                raise UsageError(f"no such option: {name}", hint="rootless doctor --help")
            dest, takes = known[name]
            if takes and not eq:
                if not rest:
                    raise UsageError(
                        f"option {name} requires an argument", hint="rootless doctor --help"
                    )
                value = rest.pop(0)
            elif not takes and eq:
                raise UsageError(
                    f"option {name} does not take a value", hint="rootless doctor --help"
                )
            if dest in cls.REPEATABLE:
                collected = values.setdefault(dest, [])
                assert isinstance(collected, list)
                collected.append(value)
            else:
                values[dest] = value if takes else True
        return DoctorOptions(
            ids=tuple(ids),
            json_output=bool(values.get("json_output")),
            list_only=bool(values.get("list_only")),
            verbose=bool(values.get("verbose")),
            user=_opt_str(values.get("user")),
            probes=not values.get("no_probe"),
            fix_script=_opt_str(values.get("fix_script")),
            explain_text=_opt_str(values.get("explain_text")),
            strict=bool(values.get("strict")),
            ports=_str_tuple(values.get("ports")),
        )


def _str_tuple(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
