"""What REL003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("keras", "pytorch", "lightning", "sklearn")
def _stress(run: Run) -> None:
    numbers = [float(v) for v in __import__("re").findall(r"(?:accuracy|score) ([0-9.]+)", run.output)]
    assert len(numbers) >= 4 and all(0 <= v <= 1 for v in numbers), run.output[-300:]
    run.ok(f"scores at {len(numbers)} noise levels")
