"""The rule registry: an explicit list, in the order rules run (earlier rules win overlaps).

Adding a rule: write ``rules/<name>.py`` with ``RULE = Rule(...)`` and list it here;
``tests/migrate/test_registry.py`` fails if a module is not listed.
"""

from __future__ import annotations

from rootless.migrate.registry import Rule

from . import (
    buildah_differences,
    buildx_build,
    buildx_unsupported,
    compose_command,
    compose_container_name,
    compose_v1_layout,
    compose_version,
    cron_environment,
    daemon_plumbing,
    docker_actions,
    docker_alias,
    docker_command,
    docker_context,
    docker_host,
    docker_socket,
    dual_engine,
    engine_probe,
    engine_variable,
    gitlab_dind,
    global_options,
    gpus_flag,
    jenkins_docker_dsl,
    link_flag,
    log_driver,
    privileged_container,
    privileged_port,
    quadlet_unit,
    remote_engine,
    resource_limits,
    restart_policy,
    short_image_name,
    sudo_docker,
    swarm_command,
    ulimit_memlock,
    user_keep_id,
)

RULES: tuple[Rule, ...] = (
    # engine identity
    docker_command.RULE,
    compose_command.RULE,
    engine_probe.RULE,
    engine_variable.RULE,
    sudo_docker.RULE,
    dual_engine.RULE,
    docker_alias.RULE,
    # rewrites marked for review
    quadlet_unit.RULE,
    buildx_build.RULE,
    user_keep_id.RULE,
    docker_socket.RULE,
    docker_host.RULE,
    gpus_flag.RULE,
    log_driver.RULE,
    global_options.RULE,
    short_image_name.RULE,
    # warnings
    link_flag.RULE,
    restart_policy.RULE,
    privileged_port.RULE,
    swarm_command.RULE,
    docker_context.RULE,
    buildx_unsupported.RULE,
    daemon_plumbing.RULE,
    ulimit_memlock.RULE,
    resource_limits.RULE,
    remote_engine.RULE,
    cron_environment.RULE,
    compose_container_name.RULE,
    privileged_container.RULE,
    compose_v1_layout.RULE,
    buildah_differences.RULE,
    gitlab_dind.RULE,
    jenkins_docker_dsl.RULE,
    # information
    compose_version.RULE,
    docker_actions.RULE,
)
