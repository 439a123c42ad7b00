"""Aliases resolve to the anchored YNode itself, whichever composer (libyaml or pure) ran."""

from __future__ import annotations

from rootless.migrate.yamlspan import parse


def test_alias_is_the_anchored_node_and_merge_keys_follow_it() -> None:
    data = b"x: &base\n  image: nginx\ny: *base\nz:\n  <<: *base\n  ports: ['80']\n"
    (root,) = parse(data)
    x, y, z = root.get("x"), root.get("y"), root.get("z")
    assert x is not None
    assert y is not None
    assert z is not None
    assert y is x  # one node: an edit of its span is proposed once, not once per alias
    image = z.get("image")
    assert image is not None
    assert image.value == "nginx"
    assert data[image.start : image.end] == b"nginx"


def test_recursive_alias_terminates() -> None:
    (root,) = parse(b"a: &loop\n  self: *loop\n  image: busybox\n")
    a = root.get("a")
    assert a is not None
    assert a.get("self") is a
