"""What STB019's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import applies, blocks


_blocks = applies("pytorch", "keras")(blocks)  # shared with other rules: tests/snippets/checks.py
