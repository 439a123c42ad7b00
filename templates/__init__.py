"""Jinja2 templates for generated shell snippets (loaded with importlib.resources)."""
