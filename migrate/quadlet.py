"""``docker run`` in a systemd unit -> a Quadlet ``.container`` file (podlet-compatible).

The mapping follows podman-systemd.unit(5) and what ``podlet podman run`` emits: options
with a Quadlet key become that key, ``-d``/``--rm``/``--detach`` are dropped (Quadlet
runs ``podman run --rm -d --replace`` itself), ``--restart`` becomes ``[Service]
Restart=`` (``unless-stopped`` -> ``always``), docker's global options go to
``GlobalArgs=`` and every other option to ``PodmanArgs=``. ``ExecStartPre=docker rm -f``/
``stop``/``kill`` steps are dropped (``--replace`` does that), ``docker pull`` becomes
``Pull=always``; any other docker step cannot be expressed and is reported, never
dropped silently.

The file is built programmatically (:class:`~rootless.migrate.unitfile.UnitWriter`), not
from a template: every value needs systemd quoting chosen per key (``Exec=`` and
``PodmanArgs=`` are word lists, ``Environment=`` quotes the whole assignment, specifiers
and ``$VAR`` must pass through untouched), and the set of lines depends on the options
found, so a template would only wrap a loop around the same quoting code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .dockercli import GLOBAL_VALUE, Opt, parse_invocation
from .shell import ENGINE_PATHS, Word
from .unitfile import Entry, UnitFile, UnitWriter, quote_env, quote_word, quote_words, split_exec

LOG_DRIVERS = frozenset({"k8s-file", "json-file", "journald", "none", "passthrough"})
DOCKER_DEPS = frozenset({"docker.service", "docker.socket", "containerd.service"})
#: [Service] keys the Quadlet unit sets itself (or that make no sense for it)
SERVICE_DROPPED = frozenset(
    {"Type", "ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost",
     "ExecReload", "KillMode", "PIDFile", "NotifyAccess", "Delegate", "GuessMainPID"}
)  # fmt: skip
SOCK = ("/var/run/docker.sock", "/run/docker.sock")
PODMAN_SOCK = "%t/podman/podman.sock"

#: option -> Quadlet key (value used as is)
SIMPLE = {
    "--name": "ContainerName",
    "--publish": "PublishPort",
    "--mount": "Mount",
    "--env-file": "EnvironmentFile",
    "--network": "Network",
    "--net": "Network",
    "--network-alias": "NetworkAlias",
    "--net-alias": "NetworkAlias",
    "--userns": "UserNS",
    "--cap-add": "AddCapability",
    "--cap-drop": "DropCapability",
    "--device": "AddDevice",
    "--label": "Label",
    "--annotation": "Annotation",
    "--hostname": "HostName",
    "--workdir": "WorkingDir",
    "--tmpfs": "Tmpfs",
    "--ulimit": "Ulimit",
    "--add-host": "AddHost",
    "--dns": "DNS",
    "--shm-size": "ShmSize",
    "--stop-timeout": "StopTimeout",
    "--health-cmd": "HealthCmd",
    "--health-interval": "HealthInterval",
    "--health-retries": "HealthRetries",
    "--health-timeout": "HealthTimeout",
    "--health-start-period": "HealthStartPeriod",
    "--pids-limit": "PidsLimit",
    "--sysctl": "Sysctl",
    "--ip": "IP",
    "--ip6": "IP6",
    "--tz": "Timezone",
    "--log-opt": "LogOpt",
}
#: flags (no value) -> Quadlet key=true
FLAGS = {"--read-only": "ReadOnly", "--init": "RunInit"}
#: dropped: Quadlet sets them
DROPPED = frozenset({"--rm", "--detach", "-d"})
RESTART = {"always": "always", "unless-stopped": "always", "on-failure": "on-failure"}
LIMIT_OPTS = frozenset(
    {"--memory", "--cpus", "--cpu-shares", "--cpu-quota", "--pids-limit", "--memory-swap",
     "--memory-reservation", "--cpuset-cpus", "--blkio-weight"}
)  # fmt: skip


@dataclass
class Remark:
    """A message about the conversion, placed at a unit entry."""

    entry: Entry
    message: str
    severity: str = "warning"  # "warning" or "info"


@dataclass
class Conversion:
    name: str
    text: str = ""
    remarks: list[Remark] = field(default_factory=list)
    #: the unit ran docker (not podman): the migration is pending until it is replaced
    docker: bool = True


def _words(words: list[str]) -> list[Word]:
    out = []
    pos = 0
    for w in words:
        out.append(Word(pos, pos + len(w), w, w))
        pos += len(w) + 1
    return out


def engine_of(words: list[str]) -> str | None:
    return ENGINE_PATHS.get(words[0]) if words else None


def runs_container(entry: Entry) -> tuple[str, list[str]] | None:
    """(engine, argv after the engine) when ``entry`` is ``[-@+]docker|podman run ...``."""
    split = split_exec(entry.value)
    if split is None:
        return None
    words = split[1]
    engine = engine_of(words)
    if engine is None:
        return None
    inv = parse_invocation(_words(words[1:]))
    if inv.action in ("run", "container run"):
        return engine, words[1:]
    return None


def qualified(ref: str) -> str:
    from .rules.short_image_name import qualify_prefix  # noqa: PLC0415

    return (qualify_prefix(ref) or "") + ref


def quadlet_name(path: str | None) -> str:
    name = PurePosixPath(path or "container.service").name
    stem = name[: -len(".service")] if name.endswith(".service") else name.rsplit(".", 1)[0]
    return f"{stem}.container"


def convert(unit: UnitFile, path: str | None) -> Conversion | None:
    """The Quadlet file for a unit whose ``ExecStart=`` runs a container (None otherwise)."""
    starts = unit.get("Service", "ExecStart")
    run_entry = None
    found = None
    for e in starts:
        found = runs_container(e)
        if found is not None:
            run_entry = e
            break
    if run_entry is None or found is None:
        return None
    engine, argv = found
    conv = Conversion(quadlet_name(path), docker=engine == "docker")
    templated = "@." in PurePosixPath(path or "").name
    w = UnitWriter()
    w.header = [
        f"{conv.name}: generated by `rootless migrate` from "
        f"{PurePosixPath(path or 'the unit').name} (line {run_entry.line}).",
        "Install: copy to ~/.config/containers/systemd/, then systemctl --user daemon-reload",
        "(Quadlet files are not enabled with systemctl enable: [Install] below does it).",
    ]
    if templated:
        w.header.append(
            "A template: start instances as NAME@INSTANCE.service (%i is the instance)."
        )
    _unit_section(unit, w, conv)
    cont = _container_section(argv, run_entry, w, conv)
    _service_section(unit, w, conv, cont, run_entry)
    _install_section(unit, w, conv)
    conv.text = w.render()
    return conv


def _unit_section(unit: UnitFile, w: UnitWriter, conv: Conversion) -> None:
    for e in unit.in_section("Unit"):
        if e.key in ("After", "Before", "Requires", "Wants", "BindsTo", "PartOf", "Requisite"):
            kept = [u for u in e.value.split() if u not in DOCKER_DEPS]
            if len(kept) != len(e.value.split()):
                conv.remarks.append(
                    Remark(e, f"{e.key}= docker.service dropped: there is no daemon", "info")
                )
            if kept:
                w.add("Unit", e.key, " ".join(kept))
        else:
            w.add("Unit", e.key, e.value)


@dataclass
class _Container:
    restart: str | None = None
    restart_entry: Entry | None = None


def _container_section(
    argv: list[str], entry: Entry, w: UnitWriter, conv: Conversion
) -> _Container:
    inv = parse_invocation(_words(argv))
    out = _Container()
    podman_args: list[str] = []
    global_args: list[str] = []
    for o in inv.global_opts:
        global_args += [wd.text for wd in o.words]
        if o.name in ("-H", "--host", "-c", "--context") or o.name.startswith(("--host=", "-H=")):
            conv.remarks.append(
                Remark(entry, f"docker global option {o.name} points at another engine: review it")
            )
    image_word = inv.image
    image = image_word.text if image_word is not None else None
    if image is None:
        conv.remarks.append(Remark(entry, "no image found in the docker run command line"))
        image = "IMAGE"
    full = qualified(image)
    if "$" in full.split(":", 1)[0].split("@", 1)[0] or image.startswith("$"):
        conv.remarks.append(
            Remark(entry, f"the image {image} comes from a variable: qualify it (docker.io/...)")
        )
    elif full != image:
        conv.remarks.append(
            Remark(entry, f"image {image} written fully qualified: {full} (no short names)", "info")
        )
    w.add("Container", "Image", full)
    socket = False
    user: str | None = None
    for o in inv.options:
        name = o.name
        value = o.value
        if name in DROPPED:
            continue
        if name == "--name" and value in ("%n", "%N", "%p", "%P"):
            conv.remarks.append(
                Remark(
                    entry,
                    f"--name {value} dropped: Quadlet names the container "
                    "systemd-%N (set ContainerName= if scripts rely on the old name)",
                    "info",
                )
            )
            continue
        if name == "--restart":
            policy = (value or "").split(":", 1)[0]
            out.restart = RESTART.get(policy)
            out.restart_entry = entry
            continue
        if name == "--volume" and value is not None:
            host, sep, rest = value.partition(":")
            if host in SOCK and sep:
                value = f"{PODMAN_SOCK}:{rest}"
                socket = True
            w.add("Container", "Volume", value)
            continue
        if name == "--env" and value is not None:
            if "=" in value:
                w.add("Container", "Environment", quote_env(value))
            else:
                podman_args += ["--env", value]
            continue
        if name == "--user" and value is not None:
            user = value
            continue
        if name == "--security-opt" and value in ("label=disable", "label:disable"):
            socket = True
            continue
        if name == "--log-driver" and value is not None:
            if value not in LOG_DRIVERS:
                conv.remarks.append(
                    Remark(entry, f"log driver {value} does not exist in podman: journald used")
                )
                value = "journald"
            w.add("Container", "LogDriver", value)
            continue
        if name == "--entrypoint" and value is not None:
            w.add("Container", "Entrypoint", quote_word(value))
            continue
        if name == "--gpus" and value is not None:
            if value == "all":
                w.add("Container", "AddDevice", "nvidia.com/gpu=all")
                conv.remarks.append(
                    Remark(
                        entry,
                        "--gpus all -> AddDevice=nvidia.com/gpu=all (CDI: run "
                        "nvidia-ctk cdi generate first)",
                        "info",
                    )
                )
            else:
                podman_args += ["--gpus", value]
                conv.remarks.append(Remark(entry, f"--gpus {value}: map to CDI devices by hand"))
            continue
        if name == "--link":
            conv.remarks.append(
                Remark(
                    entry,
                    f"--link {value or ''} cannot be expressed (podman has no links): "
                    "left out; put both containers on one Network= instead",
                )
            )
            continue
        if name == "--privileged":
            conv.remarks.append(
                Remark(
                    entry,
                    "--privileged kept in PodmanArgs: rootless it only has your user's privileges",
                )
            )
        if name in LIMIT_OPTS:
            conv.remarks.append(
                Remark(entry, f"{name} needs cgroup v2 with delegated controllers when rootless")
            )
        if name in SIMPLE and value is not None:
            w.add("Container", SIMPLE[name], value if " " not in value else quote_word(value))
            continue
        if name in FLAGS:
            w.add("Container", FLAGS[name], "true")
            continue
        podman_args += [wd.text for wd in o.words]
    if user is not None:
        if "$" in user or "(" in user:
            conv.remarks.append(
                Remark(
                    entry,
                    f"--user {user} is computed at run time: UserNS=keep-id maps your "
                    "own user instead",
                )
            )
            w.add("Container", "UserNS", "keep-id")
        else:
            uid, _, gid = user.partition(":")
            w.add("Container", "User", uid)
            if gid:
                w.add("Container", "Group", gid)
    if socket:
        w.add("Container", "SecurityLabelDisable", "true")
        conv.remarks.append(
            Remark(
                entry,
                "the Docker socket is mounted: the user's podman socket "
                f"({PODMAN_SOCK}) is used; enable it: systemctl --user enable --now "
                "podman.socket",
                "info",
            )
        )
    command = [wd.text for wd in inv.positionals[1:]]
    if command:
        w.add("Container", "Exec", quote_words(command))
    if global_args:
        w.add("Container", "GlobalArgs", quote_words(global_args))
    if podman_args:
        w.add("Container", "PodmanArgs", quote_words(podman_args))
    return out


def _service_section(
    unit: UnitFile, w: UnitWriter, conv: Conversion, cont: _Container, run_entry: Entry
) -> None:
    restart_set = False
    for e in unit.in_section("Service"):
        if e.key in ("ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost", "ExecReload"):
            _other_exec(e, w, conv)
            continue
        if e.key == "ExecStart":
            if e is not run_entry:
                conv.remarks.append(Remark(e, "a second ExecStart= is not part of the Quadlet"))
            continue
        if e.key in SERVICE_DROPPED:
            if e.key == "Type" and e.value not in ("simple", "notify", "exec", "forking"):
                conv.remarks.append(Remark(e, f"Type={e.value} dropped: Quadlet uses notify"))
            continue
        if e.key in ("User", "Group", "DynamicUser"):
            conv.remarks.append(
                Remark(
                    e,
                    f"{e.key}={e.value} dropped: a rootless Quadlet runs as the user whose "
                    "~/.config/containers/systemd holds it",
                )
            )
            continue
        if e.key == "Restart":
            restart_set = True
        w.add("Service", e.key, e.value)
    if cont.restart and not restart_set:
        w.add("Service", "Restart", cont.restart)


def _other_exec(e: Entry, w: UnitWriter, conv: Conversion) -> None:
    split = split_exec(e.value)
    words = split[1] if split is not None else []
    if not words or engine_of(words) is None:
        w.add("Service", e.key, e.value)
        return
    inv = parse_invocation(_words(words[1:]))
    action = inv.action or ""
    if action in ("rm", "stop", "kill", "container rm", "container stop", "container kill"):
        conv.remarks.append(
            Remark(
                e,
                f"{e.key}={words[0]} {action} ... dropped: Quadlet runs the container with "
                "--replace and --rm and stops it itself",
                "info",
            )
        )
        return
    if action in ("pull", "image pull"):
        items = w.sections.setdefault("Container", [])
        if ("Pull", "always") not in items:
            items.insert(1, ("Pull", "always"))
        conv.remarks.append(Remark(e, f"{e.key}=... pull -> Pull=always", "info"))
        return
    if action in ("network create", "volume create"):
        kind = action.split()[0]
        conv.remarks.append(
            Remark(
                e,
                f"{e.key}=... {action} cannot be expressed here: write a Quadlet "
                f".{kind} file and refer to it ({'Network' if kind == 'network' else 'Volume'}"
                f"=NAME.{kind}); left out",
            )
        )
        return
    conv.remarks.append(
        Remark(
            e,
            f"{e.key}={' '.join(words[:3])} ... runs the engine outside the container "
            "unit: left out; re-add it with podman if it is still needed",
        )
    )


def _install_section(unit: UnitFile, w: UnitWriter, conv: Conversion) -> None:
    installs = unit.in_section("Install")
    if not installs:
        w.add("Install", "WantedBy", "default.target")
        return
    for e in installs:
        if e.key == "WantedBy":
            targets = [
                "default.target" if t in ("multi-user.target", "graphical.target") else t
                for t in e.value.split()
            ]
            if targets != e.value.split():
                conv.remarks.append(
                    Remark(
                        e,
                        "WantedBy=multi-user.target -> default.target (the user manager "
                        "has no multi-user.target)",
                        "info",
                    )
                )
            w.add("Install", "WantedBy", " ".join(dict.fromkeys(targets)))
        else:
            w.add("Install", e.key, e.value)


__all__ = ["GLOBAL_VALUE", "Conversion", "Opt", "convert", "runs_container"]
