"""Pure parsers and shared facts: sysctl order, boot loader files, distro families, configs."""

from __future__ import annotations

from pathlib import Path

import pytest
from doctor_helpers import variant

from rootless.doctor.facts import (
    boot_config,
    containers_conf,
    distro_family,
    parse_grub_cfg,
    parse_grub_default,
    parse_nsswitch_subid,
    parse_podman_version,
    parse_sysctl_conf,
    storage_config,
    sysctl_config,
)


def test_parse_sysctl_conf() -> None:
    text = "# c\n; c\nkernel/foo = 1\n-net.ipv4.ping_group_range =\t0   2147483647\nnonsense\n"
    assert parse_sysctl_conf(text) == [
        ("kernel.foo", "1", 3),
        ("net.ipv4.ping_group_range", "0 2147483647", 4),
    ]


def test_sysctl_order_is_by_file_name_and_etc_masks_vendor_files(tmp_path: Path) -> None:
    host = variant(
        tmp_path,
        "rhel9-ok",
        files={
            "/usr/lib/sysctl.d/50-default.conf": "user.max_user_namespaces = 0\n",
            "/etc/sysctl.d/50-default.conf": "user.max_user_namespaces = 100\n",
            "/usr/lib/sysctl.d/60-later.conf": "user.max_user_namespaces = 200\n",
            "/etc/sysctl.conf": "kernel.x = 1\n",
        },
    )
    config = sysctl_config(host)
    paths = [s.path for s in config.all_for("user.max_user_namespaces")]
    assert paths == ["/etc/sysctl.d/50-default.conf", "/usr/lib/sysctl.d/60-later.conf"]
    eff = config.effective("user.max_user_namespaces")
    assert eff is not None
    assert (eff.value, eff.path) == ("200", "/usr/lib/sysctl.d/60-later.conf")
    assert config.settings[-1].path == "/etc/sysctl.conf"


def test_grub_parsers() -> None:
    assert parse_grub_default(
        "GRUB_CMDLINE_LINUX=\"a b=1\"\nGRUB_CMDLINE_LINUX_DEFAULT='quiet'\n"
    ) == ("a", "b=1", "quiet")
    assert parse_grub_cfg(
        "menuentry 'x' {\n\tlinux16 /vmlinuz ro quiet x=1\n}\nmenuentry 'y' {\n\tlinux /v other\n}\n"
    ) == (
        "ro",
        "quiet",
        "x=1",
    )


def test_boot_config_reads_bls_entries(tmp_path: Path) -> None:
    host = variant(
        tmp_path,
        "rhel9-ok",
        files={
            "/boot/loader/entries/abc-5.14.conf": "title RHEL\noptions root=/dev/x ro user_namespace.enable=1\n"
        },
    )
    assert boot_config(host).args["/boot/loader/entries/abc-5.14.conf"] == (
        "root=/dev/x",
        "ro",
        "user_namespace.enable=1",
    )


@pytest.mark.parametrize(
    ("id", "like", "major", "family"),
    [
        pytest.param("centos", ("rhel", "fedora"), 7, "rhel7", id="CentOS 7"),
        pytest.param("rhel", ("fedora",), 9, "fedora", id="RHEL 9"),
        pytest.param("rocky", ("rhel", "centos", "fedora"), 8, "fedora", id="Rocky 8"),
        pytest.param("fedora", (), 40, "fedora", id="Fedora"),
        pytest.param("ubuntu", ("debian",), 24, "debian", id="Ubuntu"),
        pytest.param("linuxmint", ("ubuntu", "debian"), 21, "debian", id="Mint"),
        pytest.param("opensuse-tumbleweed", ("opensuse", "suse"), None, "suse", id="Tumbleweed"),
        pytest.param("sles", (), 15, "suse", id="SLES"),
        pytest.param("arch", (), None, "arch", id="Arch"),
        pytest.param("manjaro", ("arch",), None, "arch", id="Manjaro"),
        pytest.param("alpine", (), 3, "alpine", id="Alpine"),
        pytest.param("gentoo", (), None, "unknown", id="unknown"),
    ],
)
def test_distro_family(id: str, like: tuple[str, ...], major: int | None, family: str) -> None:
    assert distro_family(id, like, major) == family


def test_nsswitch_and_podman_version() -> None:
    assert parse_nsswitch_subid("passwd: files\nsubid: sss  # ipa\n") == "sss"
    assert parse_nsswitch_subid("passwd: files\n") == ""
    assert parse_podman_version("podman version 4.9.4-rhel\n") == (4, 9, 4)
    assert parse_podman_version("podman-remote version 5.1\n") == (5, 1, 0)
    assert parse_podman_version("nonsense") is None


def test_containers_conf_merges_system_and_user_files(tmp_path: Path) -> None:
    host = variant(
        tmp_path,
        "rhel9-ok",
        files={
            "/usr/share/containers/containers.conf": '[engine]\nruntime = "crun"\n[network]\nnetwork_backend = "netavark"\n',
            "/etc/containers/containers.conf.d/10-x.conf": '[engine]\nruntime = "runc"\n',
            "/home/alice/.config/containers/containers.conf": '[network]\ndefault_rootless_network_cmd = "slirp4netns"\n',
        },
    )
    conf = containers_conf(host)
    assert conf.get("engine", "runtime") == "runc"
    assert conf.get("network", "network_backend") == "netavark"
    assert conf.get("network", "default_rootless_network_cmd") == "slirp4netns"
    assert conf.errors == ()


def test_storage_config_env_and_user_file(tmp_path: Path) -> None:
    host = variant(
        tmp_path,
        "rhel9-ok",
        files={
            "/home/alice/.config/containers/storage.conf": '[storage]\ngraphroot = "/data/alice"\n'
        },
        config={"env": {"STORAGE_DRIVER": "vfs", "XDG_RUNTIME_DIR": None}},
    )
    sc = storage_config(host)
    assert (sc.driver, sc.graphroot, sc.runroot) == (
        "vfs",
        "/data/alice",
        "/tmp/containers-user-1000/containers",
    )
