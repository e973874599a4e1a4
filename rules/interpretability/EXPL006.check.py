"""What EXPL006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import applies, baseline


_baseline = applies("sklearn", "pytorch")(baseline)  # shared with other rules: tests/snippets/checks.py
