"""distro_info reads os-release itself; it must say what the ``distro`` library says.

The library is the reference (it is what the doctor used before, and what it still falls
back to): every recorded host, and os-release variants a real host can have, give the
same id, name, version, codename and like either way.
"""

from __future__ import annotations

from pathlib import Path

import distro
import pytest
from doctor_helpers import SNAPSHOTS, variant

from rootless.doctor.facts import _distro_library, distro_info, parse_os_release
from rootless.doctor.host import Host


def by_library(host: Host) -> tuple[str, str, str, str, tuple[str, ...]]:
    return _distro_library(host)


def ours(host: Host) -> tuple[str, str, str, str, tuple[str, ...]]:
    info = distro_info(host)
    return info.id, info.name, info.version, info.codename, info.like


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_every_recorded_host_reads_as_the_distro_library_reads_it(
    tmp_path: Path, name: str
) -> None:
    host = variant(tmp_path, name)
    assert ours(host) == by_library(host)
    assert distro_info(host).id  # every recorded host names its distribution


OS_RELEASES = {
    "centos7": 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\n'
    'VERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
    "ubuntu1804": 'NAME="Ubuntu"\nVERSION="18.04.6 LTS (Bionic Beaver)"\nID=ubuntu\n'
    'ID_LIKE=debian\nPRETTY_NAME="Ubuntu 18.04.6 LTS"\nVERSION_ID="18.04"\n'
    "UBUNTU_CODENAME=bionic\n",
    "oracle8": 'NAME="Oracle Linux Server"\nVERSION="8.9"\nID="ol"\nID_LIKE="fedora"\n'
    'VERSION_ID="8.9"\nPRETTY_NAME="Oracle Linux Server 8.9"\n',
    "leap": 'NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\n'
    'ID_LIKE="suse opensuse"\nVERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n',
    "comma-codename": 'NAME="X"\nVERSION="1.0, Quirky Quokka"\nID=x\nVERSION_ID=1.0\n',
    "no-pretty-name": "NAME=Foo\nID=foo\nVERSION_ID=3\n",
    "escapes": 'NAME="A \\"quoted\\" \\$name"\nID=esc\nVERSION_ID=\'2\'\n# comment\n\n'
    'BROKEN LINE\nPRETTY_NAME="Esc \\\\ OS"\n',
    "arch": 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n',
    "debian-sid": 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\n'
    "VERSION_CODENAME=trixie\nID=debian\n",
}


@pytest.mark.parametrize("name", sorted(OS_RELEASES))
def test_os_release_variants_read_as_the_distro_library_reads_them(
    tmp_path: Path, name: str
) -> None:
    files: dict[str, str | bytes | None] = {"/etc/os-release": OS_RELEASES[name]}
    if name == "debian-sid":
        files["/etc/debian_version"] = "trixie/sid\n"
    host = variant(tmp_path, "rhel9-ok", files=files)
    mine, library = ours(host), by_library(host)
    if "PRETTY_NAME" in OS_RELEASES[name]:
        assert mine == library
    else:
        # without PRETTY_NAME, distro builds the name from release files it did not find
        # (" 1.0 (Quirky Quokka)"); NAME is what os-release(5) says to use instead
        assert mine[0] != ""
        assert mine[1] == parse_os_release(OS_RELEASES[name])["NAME"]
        assert (mine[0], *mine[2:]) == (library[0], *library[2:])


def test_usr_lib_os_release_is_read_when_etc_has_none(tmp_path: Path) -> None:
    host = variant(
        tmp_path,
        "rhel9-ok",
        files={"/etc/os-release": None, "/usr/lib/os-release": "ID=alpine\nVERSION_ID=3.20.1\n"},
    )
    assert (distro_info(host).id, distro_info(host).family) == ("alpine", "alpine")


def test_a_host_without_os_release_falls_back_to_the_release_files(tmp_path: Path) -> None:
    host = variant(
        tmp_path,
        "rhel9-ok",
        files={
            "/etc/os-release": None,
            "/usr/lib/os-release": None,
            "/etc/centos-release": "CentOS release 6.10 (Final)\n",
        },
    )
    info = distro_info(host)
    assert (info.id, info.version, info.codename) == ("centos", "6.10", "Final")
    assert info == distro_info(host)  # stable
    assert ours(host) == by_library(host)


def test_oracle_linux_7_is_the_rhel7_family() -> None:
    # distro normalises "ol" to "oracle": the family table must know that spelling too
    from rootless.doctor.facts import distro_family

    assert distro_family("oracle", ("fedora",), 7) == "rhel7"


def test_parse_os_release_unquotes_like_a_shell_without_expanding() -> None:
    fields = parse_os_release('A="x \\"y\\" \\\\ \\$HOME \\`z\\`"\nB=\'$HOME\'\nC=plain\n=x\n')
    assert fields == {"A": 'x "y" \\ $HOME `z`', "B": "$HOME", "C": "plain"}


def test_the_library_is_still_the_installed_reference() -> None:
    assert distro.NORMALIZED_OS_ID.get("ol") == "oracle"
