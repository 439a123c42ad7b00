"""GitLab CI docker:dind services (+ DOCKER_HOST=tcp://docker:2375) -> a podman/buildah job."""

from __future__ import annotations

import re

from rootless.migrate.model import Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure

DIND = re.compile(r"^(?:[\w.-]+(?::\d+)?/)*docker:[\w.-]*dind[\w.-]*$|^(?:[\w.-]+/)*docker:dind$")
TCP = re.compile(r"^tcp://docker:237[56]/?$")
LINK = "https://docs.gitlab.com/ci/docker/using_docker_build/"


def _dind_in(node: object) -> object | None:
    from rootless.migrate.yamlspan import YNode  # noqa: PLC0415

    assert isinstance(node, YNode)
    services = node.get("services")
    if services is None or not services.is_seq:
        return None
    for item in services.items:
        name = item if item.is_scalar else item.get("name") if item.is_map else None
        if name is not None and name.is_scalar and DIND.match(name.value):
            return name
    return None


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    from rootless.migrate.kinds.gitlab import jobs  # noqa: PLC0415

    root = s.root
    holders = [("the pipeline", root)]
    default = root.get("default")
    if default is not None and default.is_map:
        holders.append(("default", default))
    holders += [(f"job {name}", job) for name, job in jobs(root)]
    tcp_vars = []
    for _, h in holders:
        v = h.get("variables")
        dh = v.get("DOCKER_HOST") if v is not None and v.is_map else None
        if dh is not None and dh.is_scalar and TCP.match(dh.value):
            tcp_vars.append(dh)
    seen: set[int] = set()
    for where, h in holders:
        name = _dind_in(h)
        if name is None or id(name) in seen:
            continue
        seen.add(id(name))
        extra = " (and DOCKER_HOST points at it over TCP)" if tcp_vars else ""
        yield RULE.note(
            name.start,  # type: ignore[attr-defined]
            f"{where} runs a Docker daemon as a docker:dind service{extra}: it needs a "
            "privileged runner; podman and buildah build without a daemon",
            fix=(
                "image: quay.io/podman/stable (or quay.io/buildah/stable); drop the dind "
                "service and DOCKER_HOST/DOCKER_TLS_CERTDIR/DOCKER_DRIVER; call podman in "
                "script: (the shell rules rename docker); the runner must allow user "
                "namespaces (or use buildah --isolation chroot, STORAGE_DRIVER=vfs)"
            ),
        )


RULE = Rule(
    id="gitlab-dind",
    summary="GitLab CI docker:dind service + DOCKER_HOST=tcp://docker:2375 -> a daemonless podman/buildah job",
    example="services: [docker:dind]  ->  (warning) image: quay.io/podman/stable, no dind service",
    severity=Severity.WARNING,
    link=LINK,
    on_structure=check_structure,
    structures=frozenset({"gitlab-ci"}),
)
