"""References as podman parses them, registries.conf resolution, auth challenges and files."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from rootless.engine import ref as refmod
from rootless.engine.auth import auth_files, find_credentials, parse_challenges
from rootless.engine.pullcmd import human_age, human_size
from rootless.errors import RootlessError

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36"),
        ("index.docker.io/busybox", "docker.io/library/busybox:latest"),
        ("docker://quay.io/podman/hello", "quay.io/podman/hello:latest"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/app:v1", "localhost:5000/app:v1"),
        ("127.0.0.1:5000/library/busybox", "127.0.0.1:5000/library/busybox:latest"),
        (f"quay.io/a/b@{D}", f"quay.io/a/b@{D}"),
        (f"quay.io/a/b:v2@{D}", "quay.io/a/b:v2"),
        ("[::1]:5000/x/y:z", "[::1]:5000/x/y:z"),
    ],
)
def test_qualified_references_normalise_like_podman(text: str, name: str) -> None:
    ref = refmod.parse(text)
    assert isinstance(ref, refmod.Reference)
    assert ref.name == name


def test_digest_reference_asks_for_the_digest_and_endpoint_of_docker_io() -> None:
    ref = refmod.parse_qualified(f"docker.io/alpine:3@{D}")
    assert ref.manifest_ref == D
    assert ref.endpoint == "registry-1.docker.io"
    assert str(ref) == f"docker.io/library/alpine:3@{D}"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Busybox",
        "quay.io/UPPER/x",
        "x:bad tag",
        f"x@sha256:{'a' * 10}",
        "a//b",
        "x:" + "t" * 200,
    ],
)
def test_invalid_references_are_usage_errors(text: str) -> None:
    with pytest.raises(RootlessError):
        refmod.parse(text)


def test_short_names_are_not_assumed_to_be_docker_io() -> None:
    short = refmod.parse("busybox:1.36")
    assert isinstance(short, refmod.ShortName)
    assert short.qualify("docker.io").name == "docker.io/library/busybox:1.36"
    assert short.qualify("quay.io").name == "quay.io/busybox:1.36"


def _conf(
    tmp_path: Path, main: str, dropins: dict[str, str] | None = None
) -> refmod.RegistriesConf:
    (tmp_path / "registries.conf").write_text(main)
    cfg = tmp_path / "config" / "containers" / "registries.conf.d"
    cfg.mkdir(parents=True)
    for name, text in (dropins or {}).items():
        (cfg / name).write_text(text)
    env = {
        "CONTAINERS_REGISTRIES_CONF": str(tmp_path / "registries.conf"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
    }
    return refmod.RegistriesConf.load(env)


def test_aliases_win_over_search_registries_and_keep_the_tag(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        'unqualified-search-registries = ["quay.io"]\n[aliases]\n"app" = "registry.example.com/team/app"\n',
    )
    assert [r.name for r in conf.resolve("app:v3")] == ["registry.example.com/team/app:v3"]
    assert [r.name for r in conf.resolve("other")] == ["quay.io/other:latest"]


def test_enforcing_mode_refuses_ambiguous_short_names_without_a_prompt(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        'unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "enforcing"\n',
    )
    with pytest.raises(RootlessError, match="ambiguous"):
        conf.resolve("zzz-no-alias")
    permissive = refmod.RegistriesConf()
    permissive.merge(
        {"unqualified-search-registries": ["quay.io", "docker.io"], "short-name-mode": "permissive"}
    )
    assert [r.name for r in permissive.resolve("zzz-no-alias")] == [
        "quay.io/zzz-no-alias:latest",
        "docker.io/library/zzz-no-alias:latest",
    ]


def test_no_search_registries_gives_podmans_error(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "")
    with pytest.raises(RootlessError, match="no unqualified-search registries are defined"):
        conf.resolve("zzz-no-alias")


def test_dropins_override_search_and_add_registries(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        'unqualified-search-registries = ["quay.io"]\n',
        {
            "50-mine.conf": 'unqualified-search-registries = ["registry.local:5000"]\n[[registry]]\nlocation = "registry.local:5000"\ninsecure = true\n'
        },
    )
    assert conf.search == ["registry.local:5000"]
    entry = conf.registry_for("registry.local:5000/app")
    assert entry is not None
    assert entry.insecure


def test_longest_prefix_wins_and_rewrites_the_location(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        '[[registry]]\nprefix = "example.com"\nlocation = "mirror.example.net"\n'
        '[[registry]]\nprefix = "example.com/team"\nlocation = "other.example.net/t"\nblocked = false\n'
        '[[registry]]\nlocation = "evil.example.org"\nblocked = true\n',
    )
    assert conf.registry_for("example.com/team/app").location == "other.example.net/t"  # type: ignore[union-attr]
    assert conf.registry_for("example.com/x").location == "mirror.example.net"  # type: ignore[union-attr]
    assert conf.registry_for("example.com.evil/x") is None  # whole components only
    assert conf.registry_for("evil.example.org/x").blocked  # type: ignore[union-attr]


def test_platform_strings_use_go_names() -> None:
    assert refmod.canonical_platform("linux/x86_64") == ("linux", "amd64", None)
    assert refmod.canonical_platform("linux/arm64/v8") == ("linux", "arm64", "v8")
    with pytest.raises(RootlessError):
        refmod.canonical_platform("amd64")


def test_challenge_parser_keeps_quoted_commas() -> None:
    header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'
    (ch,) = parse_challenges(header)
    assert ch.scheme == "bearer"
    assert ch.params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:samalba/my-app:pull,push",
    }


def test_challenge_parser_reads_several_schemes_and_escapes() -> None:
    chs = parse_challenges(
        'Basic realm="a \\"quoted\\" realm", Bearer realm="https://t/x",error=insufficient_scope'
    )
    assert [c.scheme for c in chs] == ["basic", "bearer"]
    assert chs[0].params["realm"] == 'a "quoted" realm'
    assert chs[1].params["error"] == "insufficient_scope"


def test_no_challenge_header_gives_nothing() -> None:
    assert parse_challenges("") == []


def _auth(path: Path, key: str, user: str, pw: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"auths": {key: {"auth": base64.b64encode(f"{user}:{pw}".encode()).decode()}}})
    )


def test_credentials_follow_podmans_file_order_and_namespace_keys(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    assert auth_files(env) == [
        tmp_path / "run/containers/auth.json",
        tmp_path / "cfg/containers/auth.json",
        tmp_path / ".docker/config.json",
    ]
    _auth(tmp_path / ".docker/config.json", "https://index.docker.io/v1/", "docker-user", "d")
    creds = find_credentials("docker.io", "library/busybox", env)
    assert creds is not None
    assert (creds.username, creds.source) == ("docker-user", str(tmp_path / ".docker/config.json"))
    _auth(tmp_path / "cfg/containers/auth.json", "docker.io/library", "ns-user", "p:w")
    creds = find_credentials("docker.io", "library/busybox", env)
    assert creds is not None
    assert (creds.username, creds.password) == ("ns-user", "p:w")
    _auth(tmp_path / "run/containers/auth.json", "docker.io", "runtime-user", "r")
    creds = find_credentials("docker.io", "library/busybox", env)
    assert creds is not None
    assert creds.username == "runtime-user"
    assert find_credentials("quay.io", "x", env) is None


def test_broken_auth_entry_is_a_clear_error(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "REGISTRY_AUTH_FILE": str(tmp_path / "a.json")}
    (tmp_path / "a.json").write_text(
        json.dumps({"auths": {"r.io": {"auth": base64.b64encode(b"nocolon").decode()}}})
    )
    with pytest.raises(RootlessError, match="not base64"):
        find_credentials("r.io", "", env)


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (999, "999 B"), (1_082_000, "1.08 MB"), (312_456_789, "312 MB"), (5e12, "5 TB")],
)
def test_sizes_print_like_podman(n: float, text: str) -> None:
    assert human_size(n) == text


def test_ages_print_like_podman() -> None:
    now = 1_800_000_000.0
    assert human_age("2027-01-09T08:00:00Z", now) == "6 days ago"
    assert human_age("2027-01-09T07:59:59.123456789Z", now) == "6 days ago"
    assert human_age(None, now) == "unknown"
    assert human_age("garbage", now) == "unknown"
