"""Jenkins Docker Pipeline DSL (`docker.image(...)`, `agent { docker ... }`): warn."""

from __future__ import annotations

from rootless.migrate.model import Severity
from rootless.migrate.registry import Rule, RuleContext, StructureResult
from rootless.migrate.structure import Structure


def check_structure(s: Structure, ctx: RuleContext) -> StructureResult:
    for at, text in s.root:
        yield RULE.note(
            at,
            f"`{' '.join(text.split())}` is the Docker Pipeline plugin: it drives the docker "
            "CLI and daemon with its own flags; podman-docker on the agent is only a partial "
            "stand-in",
            fix="use sh 'podman ...' steps (or a podman agent image) instead of the DSL",
        )


RULE = Rule(
    id="jenkins-docker-dsl",
    summary="Jenkins Docker Pipeline DSL (docker.image/build/withRegistry, agent docker): warn",
    example="docker.image('maven').inside { ... }  ->  (warning) sh 'podman run ...'",
    severity=Severity.WARNING,
    link="https://www.jenkins.io/doc/book/pipeline/docker/",
    on_structure=check_structure,
    structures=frozenset({"jenkinsfile"}),
)
