"""What DAT004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("sklearn")
def _crowd(run: Run) -> None:
    votes, agreement = run.new("votes"), run.new("agreement")
    assert len(votes) == len(agreement) and ((0 < agreement) & (agreement <= 1)).all()
    run.ok("majority votes and agreement per item")
