"""dual-engine: scripts that already select between engines keep their engine logic."""

from __future__ import annotations

import pytest

from rootless.migrate import Settings, fix_text

DUAL = [
    pytest.param(
        "if command -v podman >/dev/null; then E=podman; else E=docker; fi\n$E run x\ndocker ps\n",
        id="probe for podman, fallback to docker",
    ),
    pytest.param(
        'case "$ENGINE" in\n  docker|podman) ;;\n  *) exit 1 ;;\nesac\ndocker ps\n',
        id="a case over both engines",
    ),
    pytest.param(
        'ENGINE=${ENGINE:-docker}\n[ "$ENGINE" = podman ] && echo rootless\ndocker ps\n',
        id="a test comparing with podman",
    ),
]

SINGLE = [
    pytest.param("docker ps\n", "podman ps\n", id="docker only"),
    pytest.param(
        "command -v docker\ndocker ps\n", "command -v podman\npodman ps\n", id="a docker probe only"
    ),
    pytest.param("podman ps\ndocker ps\n", "podman ps\npodman ps\n", id="partly migrated by hand"),
]


@pytest.mark.parametrize("src", DUAL)
def test_dual_engine_scripts_keep_their_engine_words(src):
    result = fix_text(src, settings=Settings(image_mode="off"))
    assert result.text == src
    assert any(f.rule == "dual-engine" for f in result.findings)


@pytest.mark.parametrize(("src", "expected"), SINGLE)
def test_single_engine_scripts_are_migrated(src, expected):
    result = fix_text(src, settings=Settings(image_mode="off"))
    assert result.text == expected
    assert not any(f.rule == "dual-engine" for f in result.findings)


def test_other_rules_still_warn_in_dual_engine_scripts():
    src = "E=docker\ncommand -v podman && E=podman\n$E run --link db app\n"
    result = fix_text(src, settings=Settings(image_mode="off"))
    assert result.text == src
    assert any(f.rule == "link-flag" for f in result.findings)
