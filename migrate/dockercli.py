"""The docker/podman command line as data: global options, sub-command, options, image.

``docker [global options] [management noun] action [options] [image] [command...]``.
Only what the rules need is modelled; a word we do not understand stops option parsing,
so rules see fewer options rather than wrong ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .shell import Word

#: docker global options that take a value
GLOBAL_VALUE = frozenset(
    {"-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert",
     "--tlscert", "--tlskey", "--url", "--connection", "--root", "--runroot",
     "--storage-driver", "--storage-opt", "--runtime", "--cgroup-manager", "--events-backend",
     "--identity", "--network-cmd-path", "--tmpdir", "--module"}
)  # fmt: skip

MANAGEMENT = frozenset(
    {"container", "image", "network", "volume", "system", "builder", "manifest", "context",
     "plugin", "swarm", "node", "service", "stack", "secret", "config", "trust", "buildx",
     "compose", "checkpoint", "scout", "pod", "machine", "generate", "kube", "healthcheck",
     "artifact", "quadlet", "farm"}
)  # fmt: skip

#: run/create options that take a value (docker and podman), long names
RUN_VALUE = frozenset(
    {"--add-host", "--annotation", "--attach", "--blkio-weight", "--blkio-weight-device",
     "--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cgroups", "--cidfile",
     "--cpu-period", "--cpu-quota", "--cpu-rt-period", "--cpu-rt-runtime", "--cpu-shares",
     "--cpus", "--cpuset-cpus", "--cpuset-mems", "--detach-keys", "--device",
     "--device-cgroup-rule", "--device-read-bps", "--device-read-iops", "--device-write-bps",
     "--device-write-iops", "--dns", "--dns-option", "--dns-opt", "--dns-search",
     "--domainname", "--entrypoint", "--env", "--env-file", "--expose", "--gpus",
     "--group-add", "--health-cmd", "--health-interval", "--health-retries",
     "--health-start-interval", "--health-start-period", "--health-timeout", "--hostname",
     "--ip", "--ip6", "--ipc", "--isolation", "--kernel-memory", "--label", "--label-file",
     "--link", "--link-local-ip", "--log-driver", "--log-opt", "--mac-address", "--memory",
     "--memory-reservation", "--memory-swap", "--memory-swappiness", "--mount", "--name",
     "--network", "--net", "--network-alias", "--net-alias", "--oom-score-adj", "--pid",
     "--pids-limit", "--platform", "--publish", "--pull", "--restart", "--runtime",
     "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt",
     "--sysctl", "--tmpfs", "--ulimit", "--user", "--userns", "--uts", "--volume",
     "--volume-driver", "--volumes-from", "--workdir", "--uidmap", "--gidmap",
     "--subuidname", "--subgidname", "--pod", "--arch", "--os", "--variant", "--secret",
     "--image-volume", "--requires", "--sdnotify", "--seccomp-policy", "--timeout", "--tz",
     "--umask", "--passwd-entry", "--group-entry", "--chrootdirs", "--personality",
     "--preserve-fds", "--init-path", "--conmon-pidfile", "--health-on-failure", "--pidfile",
     "--rdt-class", "--retry", "--retry-delay", "--decryption-key", "--authfile",
     "--cert-dir", "--creds", "--cgroup-conf", "--env-merge", "--hostuser", "--rootfs",
     "--log-level", "--cpu-count", "--cpu-percent", "--io-maxbandwidth",
     "--io-maxiops", "--health-log-destination", "--health-max-log-count",
     "--health-max-log-size", "--health-startup-cmd", "--health-startup-interval",
     "--health-startup-retries", "--health-startup-success", "--health-startup-timeout",
     "--pod-id-file", "--infra-name"}
)  # fmt: skip

#: build options that take a value
BUILD_VALUE = frozenset(
    {"--add-host", "--allow", "--annotation", "--attest", "--build-arg", "--build-context",
     "--builder", "--cache-from", "--cache-to", "--call", "--cgroup-parent", "--cpu-period",
     "--cpu-quota", "--cpu-shares", "--cpuset-cpus", "--cpuset-mems", "--file",
     "--iidfile", "--isolation", "--label", "--memory", "--memory-swap", "--metadata-file",
     "--network", "--output", "--platform", "--progress", "--provenance", "--sbom",
     "--secret", "--shm-size", "--ssh", "--tag", "--target", "--ulimit", "--manifest",
     "--format", "--layers", "--authfile", "--creds", "--cert-dir", "--volume", "--arch",
     "--os", "--variant", "--jobs", "--timestamp", "--userns", "--security-opt",
     "--device", "--dns", "--env", "--from", "--retry", "--signature-policy", "--squash-all"}
)  # fmt: skip

#: short option -> long option (run/create/build)
SHORT = {
    "-a": "--attach", "-c": "--cpu-shares", "-d": "--detach", "-e": "--env",
    "-h": "--hostname", "-i": "--interactive", "-l": "--label", "-m": "--memory",
    "-p": "--publish", "-P": "--publish-all", "-q": "--quiet", "-t": "--tty",
    "-u": "--user", "-v": "--volume", "-w": "--workdir", "-f": "--file",
}  # fmt: skip
SHORT_BUILD = {**SHORT, "-t": "--tag", "-f": "--file", "-q": "--quiet"}

#: actions whose first positional is an image reference
IMAGE_ACTIONS = frozenset({"run", "create", "pull", "image pull"})


class Opt(NamedTuple):
    """One option as written: ``-p 80:80``, ``--publish=80:80``, ``-p80:80``, ``-it``."""

    #: long name (``--publish``) or the bundle as written (``-it``)
    name: str
    words: tuple[Word, ...]
    #: the value's fixed text, if any and fixed
    value: str | None = None
    #: the word that holds the value, and where the value starts inside its text
    value_word: Word | None = None
    value_offset: int = 0

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end

    @property
    def value_text(self) -> str | None:
        """The value as written (quotes and all), or None for flags."""
        if self.value_word is None:
            return None
        return self.value_word.text[self.value_offset :]


@dataclass
class Invocation:
    """An engine command line split into its parts."""

    global_opts: list[Opt] = field(default_factory=list)
    #: words naming the sub-command (``container run`` -> two words)
    subcommand: list[Word] = field(default_factory=list)
    #: normalised action: "run", "create", "build", "buildx build", "compose", "swarm init"...
    action: str | None = None
    options: list[Opt] = field(default_factory=list)
    positionals: list[Word] = field(default_factory=list)
    #: index in the command's args where the action's own arguments start
    first_arg: int = 0

    @property
    def noun(self) -> str | None:
        action = self.action
        if not action:
            return None
        i = action.find(" ")
        return action if i < 0 else action[:i]

    @property
    def image(self) -> Word | None:
        if self.action in IMAGE_ACTIONS and self.positionals:
            return self.positionals[0]
        return None

    def opts(self, *names: str) -> list[Opt]:
        if self._names.isdisjoint(names):
            return []
        return [o for o in self.options if o.name in names]

    def has(self, *names: str) -> bool:
        return not self._names.isdisjoint(names)

    @property
    def option_names(self) -> frozenset[str]:
        """Names of the options present (long names; bundles as written)."""
        return self._names

    @property
    def _names(self) -> frozenset[str]:
        cached = self.__dict__.get("_names_cache")
        if cached is None or cached[0] != len(self.options):
            cached = (len(self.options), frozenset(o.name for o in self.options))
            self.__dict__["_names_cache"] = cached
        return cached[1]

    @property
    def bind_mounts(self) -> list[str]:
        """Host sides of bind mounts (``-v /h:/c``, ``--mount type=bind,src=/h``)."""
        out: list[str] = []
        for o in self.opts("--volume"):
            v = o.value_text or ""
            src = v.strip("\"'").split(":", 1)[0]
            if ":" in v and src[:1] in ("/", "$", ".", "~", '"', "`"):
                out.append(src)
        for o in self.opts("--mount"):
            v = (o.value_text or "").strip("\"'")
            if "type=bind" in v:
                for part in v.split(","):
                    k, _, val = part.partition("=")
                    if k in ("source", "src"):
                        out.append(val)
        return out


def _parse_options(
    args: list[Word], i: int, value_opts: frozenset[str], short: dict[str, str]
) -> tuple[list[Opt], list[Word], int]:
    """Options up to the first positional (then everything else is positional)."""
    opts: list[Opt] = []
    while i < len(args):
        w = args[i]
        v = w.value if w.value is not None else w.text
        if v == "--":
            return opts, args[i + 1 :], i + 1
        if not v.startswith("-") or v == "-" or w.text[:1] in ("'", '"', "$"):
            break
        if v.startswith("--"):
            name, eq, _ = v.partition("=")
            if eq:
                off = w.text.find("=") + 1
                opts.append(Opt(name, (w,), v.partition("=")[2], w, off))
                i += 1
            elif name in value_opts and i + 1 < len(args):
                nxt = args[i + 1]
                opts.append(Opt(name, (w, nxt), nxt.value, nxt, 0))
                i += 2
            else:
                opts.append(Opt(name, (w,)))
                i += 1
            continue
        # short options: -p 80:80, -p80:80, -it, -dit, -e=X
        letters = v[1:]
        consumed = False
        for j, ch in enumerate(letters):
            long = short.get("-" + ch, "-" + ch)
            if long in value_opts:
                rest = letters[j + 1 :]
                if rest:
                    off = w.text.find(rest, 1 + j) if w.value is not None else 1 + j + 1
                    rest_v = rest[1:] if rest.startswith("=") else rest
                    off += 1 if rest.startswith("=") else 0
                    opts.append(Opt(long, (w,), rest_v, w, off))
                    i += 1
                elif i + 1 < len(args):
                    nxt = args[i + 1]
                    opts.append(Opt(long, (w, nxt), nxt.value, nxt, 0))
                    i += 2
                else:
                    opts.append(Opt(long, (w,)))
                    i += 1
                consumed = True
                break
        if not consumed:
            name = short.get(v, v) if len(letters) == 1 else v
            opts.append(Opt(name, (w,)))
            i += 1
    return opts, args[i:], i


def parse_invocation(args: list[Word]) -> Invocation:
    """Split an engine command's arguments (everything after ``docker``)."""
    inv = Invocation()
    i = 0
    while i < len(args):
        w = args[i]
        v = w.value
        if v is None or not v.startswith("-"):
            break
        name, eq, val = v.partition("=")
        if name in GLOBAL_VALUE and not eq and i + 1 < len(args):
            inv.global_opts.append(Opt(name, (w, args[i + 1]), args[i + 1].value, args[i + 1]))
            i += 2
        else:
            inv.global_opts.append(
                Opt(name, (w,), val if eq else None, w if eq else None, len(name) + 1)
            )
            i += 1
    if i >= len(args) or args[i].value is None:
        inv.first_arg = i
        return inv
    first = args[i].value
    assert first is not None
    words = [args[i]]
    action = first
    i += 1
    second = args[i].value if i < len(args) else None
    if first in MANAGEMENT and second and not second.startswith("-"):
        words.append(args[i])
        i += 1
        if first in ("container", "image") and second in (
            "run",
            "create",
            "pull",
            "push",
            "build",
            "ls",
            "rm",
            "inspect",
            "tag",
        ):
            action = second
        else:
            action = f"{first} {second}"
    inv.subcommand = words
    inv.action = action
    inv.first_arg = i
    if action in ("run", "create"):
        inv.options, inv.positionals, _ = _parse_options(args, i, RUN_VALUE, SHORT)
    elif action in ("build", "buildx build", "builder build", "image build"):
        inv.options, inv.positionals, _ = _parse_options(args, i, BUILD_VALUE, SHORT_BUILD)
    elif action == "pull":
        inv.options, inv.positionals, _ = _parse_options(
            args,
            i,
            frozenset(
                {
                    "--platform",
                    "--authfile",
                    "--creds",
                    "--arch",
                    "--os",
                    "--variant",
                    "--retry",
                    "--retry-delay",
                    "--decryption-key",
                    "--cert-dir",
                }
            ),
            {"-q": "--quiet", "-a": "--all-tags"},
        )
    else:
        inv.options, inv.positionals, _ = _parse_options(args, i, frozenset(), {})
    return inv
