"""Fixtures for the migrator's tests: run one rule on a snippet and check the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from rootless.migrate import Settings, Severity, fix_text
from rootless.migrate.model import FixResult


@dataclass
class RuleCheck:
    """Helpers that run only the rule under test (pyupgrade-style noop/fixes cases)."""

    def run(self, rule: str, src: str, path: str | None = None, **settings: Any) -> FixResult:
        return fix_text(src, path=path, settings=Settings(select=frozenset({rule}), **settings))

    def fixes(
        self, rule: str, src: str, expected: str, path: str | None = None, **settings: Any
    ) -> FixResult:
        result = self.run(rule, src, path, **settings)
        assert result.text == expected, [f.message for f in result.findings]
        assert any(f.rule == rule and f.applied for f in result.findings)
        again = self.run(rule, expected, path, **settings)
        assert again.text == expected, "not idempotent"
        assert not any(f.applied for f in again.findings)
        return result

    def noop(self, rule: str, src: str, path: str | None = None, **settings: Any) -> FixResult:
        result = self.run(rule, src, path, **settings)
        assert result.text == src
        assert not [f for f in result.findings if f.rule == rule and f.severity != Severity.INFO]
        return result

    def warns(
        self, rule: str, src: str, contains: str, path: str | None = None, **settings: Any
    ) -> FixResult:
        result = self.run(rule, src, path, **settings)
        assert result.text == src
        hits = [f for f in result.findings if f.rule == rule]
        assert hits, f"no {rule} finding"
        assert any(contains in (f.message + " " + (f.fix or "")) for f in hits), [
            f.message for f in hits
        ]
        return result


@pytest.fixture
def rule_check() -> RuleCheck:
    return RuleCheck()
