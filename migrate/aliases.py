"""The ``--aliases`` snippet, rendered from ``templates/migrate-aliases.sh.j2``."""

from __future__ import annotations

from rootless import __version__
from rootless.migrate.model import ComposeTarget

TEMPLATE = "migrate-aliases.sh.j2"


def render_aliases(compose_target: ComposeTarget = "podman compose") -> str:
    """Shell aliases for interactive use, with the note that they never reach scripts."""
    import importlib.resources  # noqa: PLC0415

    import jinja2  # noqa: PLC0415

    source = importlib.resources.files("rootless.templates").joinpath(TEMPLATE).read_text("utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - shell text, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.from_string(source).render(version=__version__, compose_target=compose_target)
