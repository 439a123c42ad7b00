"""The fix-script templates: every interpolation is shell-quoted, nothing is interpolated into
a comment, the environment is strict, and the templates come from the installed package."""

from __future__ import annotations

import re
import subprocess
from importlib.resources import files

import jinja2
import pytest

from rootless.doctor.facts import DistroInfo
from rootless.doctor.fixes import (
    PACKAGES,
    Rendered,
    environment,
    render_step,
    step_template_names,
    template_text,
)
from rootless.doctor.model import FixStep

EXPRESSION = re.compile(r"{{(.*?)}}", re.S)
SAFE_FILTERS = ("| sh", "| sh_words", "| verbatim")
FAMILIES = ("rhel7", "fedora", "debian", "suse", "arch", "alpine", "unknown")


def all_templates() -> list[str]:
    root = files("rootless.templates").joinpath("doctor")
    names = [p.name for p in root.iterdir() if p.name.endswith(".j2")]
    names += [f"steps/{n}.sh.j2" for n in step_template_names()]
    return sorted(names)


@pytest.mark.parametrize("name", all_templates())
def test_every_interpolation_is_shell_quoted(name: str) -> None:
    for expr in EXPRESSION.findall(template_text(name)):
        assert any(expr.rstrip().endswith(f) for f in SAFE_FILTERS), (
            f"{name}: unquoted {{{{{expr}}}}}"
        )


@pytest.mark.parametrize("name", all_templates())
def test_nothing_is_interpolated_into_a_comment(name: str) -> None:
    for line in template_text(name).splitlines():
        if line.lstrip().startswith("#") and not line.startswith("#!"):
            assert "{{" not in line, f"{name}: {line}"


def test_the_grep_really_finds_unquoted_values() -> None:
    bad = "live podman {{ arg }}\nok {{ arg | sh }}\n"
    found = [
        e for e in EXPRESSION.findall(bad) if not any(e.rstrip().endswith(f) for f in SAFE_FILTERS)
    ]
    assert found == [" arg "]


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    env = environment()
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("steps/linger.sh.j2").render(family="debian")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("plain", True, id="a word"),
        pytest.param(1000, True, id="a number"),
        pytest.param(["a", "b"], False, id="a list is not one word"),
        pytest.param(None, False, id="None is refused"),
        pytest.param(True, False, id="a bool is refused"),
    ],
)
def test_sh_filter(value: object, ok: bool) -> None:
    template = environment().from_string("{{ v | sh }}")
    if ok:
        assert template.render(v=value) == str(value)
    else:
        with pytest.raises(TypeError):
            template.render(v=value)


def test_verbatim_only_takes_rendered_text() -> None:
    template = environment().from_string("{{ v | verbatim }}")
    assert template.render(v=Rendered("echo hi")) == "echo hi"
    with pytest.raises(TypeError):
        template.render(v="echo $(rm -rf /)")


def _sample_context(template: str) -> dict[str, object]:
    return {
        "subids": {"user": "alice", "uid": 1000, "start": 100000, "count": 65536},
        "subid-clean": {"file": "/etc/subuid"},
        "sysctl": {
            "key": "user.max_user_namespaces",
            "value": "28633",
            "file": "/etc/sysctl.d/99-rootless.conf",
            "disable": ["/etc/sysctl.conf"],
        },
        "kernel-arg": {"arg": "user_namespace.enable=1"},
        "reboot": {"reason": "kernel argument"},
        "note": {"message": "do it by hand"},
        "install-packages": {"component": "uidmap"},
        "apparmor-profile": {
            "path": "/usr/local/bin/podman",
            "name": "rootless-usr.local.bin.podman",
        },
        "linger": {"user": "alice"},
        "docker-group": {"user": "alice"},
        "use-runc": {
            "config": "/home/alice/.config/containers/containers.conf.d/99-rootless-runtime.conf"
        },
        "storage-overlay": {"config": "/home/alice/.config/containers/storage.conf"},
        "runtime-dir-openrc": {"uid": 1000, "gid": 1000},
        "profile-line": {
            "file": "/home/alice/.profile",
            "line": "export XDG_RUNTIME_DIR=/run/user/1000",
        },
    }.get(template, {})


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("template", step_template_names())
def test_every_step_renders_valid_sh_for_every_family(template: str, family: str) -> None:
    distro = DistroInfo("x", "X", "1", "", (), family)
    step = FixStep(template, "summary", "root", "now", _sample_context(template))
    body = render_step(environment(), step, distro)
    res = subprocess.run(["sh", "-n"], input=body, capture_output=True, text=True)
    assert res.returncode == 0, body + res.stderr


def test_packages_exist_for_every_component_a_check_can_ask_for() -> None:
    asked = {
        "uidmap",
        "podman",
        "passt",
        "slirp4netns",
        "fuse-overlayfs",
        "crun",
        "runc",
        "dbus-user-session",
    }
    assert asked <= set(PACKAGES)
    for family in ("fedora", "debian", "suse", "arch", "alpine"):
        assert PACKAGES["uidmap"][family]


def test_install_step_uses_the_family_package_manager() -> None:
    env = environment()
    bodies = {
        f: render_step(
            env,
            FixStep("install-packages", "s", "root", "now", {"component": "uidmap"}),
            DistroInfo("x", "X", "1", "", (), f),
        )
        for f in FAMILIES
    }
    assert "apt-get install -y uidmap" in bodies["debian"]
    assert "yum install -y shadow-utils" in bodies["rhel7"]
    assert "dnf install -y shadow-utils" in bodies["fedora"]
    assert "zypper --non-interactive install shadow" in bodies["suse"]
    assert "pacman -S --needed --noconfirm shadow" in bodies["arch"]
    assert "apk add shadow-uidmap" in bodies["alpine"]
    assert bodies["unknown"].startswith("note ")


def test_rhel7_uses_grubby_and_debian_update_grub() -> None:
    env = environment()
    step = FixStep("kernel-arg", "s", "root", "reboot", {"arg": "user_namespace.enable=1"})
    el7 = render_step(env, step, DistroInfo("centos", "CentOS", "7", "", (), "rhel7"))
    deb = render_step(env, step, DistroInfo("debian", "Debian", "12", "", (), "debian"))
    assert "live grubby --update-kernel=ALL --args=user_namespace.enable=1" in el7
    assert "live update-grub" in deb
