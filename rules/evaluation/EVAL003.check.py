"""What EVAL003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite, torch_changed


@applies("sklearn")
def _cv_sklearn(run: Run) -> None:
    scores = run.new("scores")
    for name in run.new("scoring"):
        assert len(scores["test_" + name]) == 5 and finite(scores["test_" + name])
    run.ok("5 stratified folds scored")


@applies("pytorch", "lightning")
def _cv_torch(run: Run) -> None:
    scores = run.new("scores")
    assert len(scores) == 5 and all(0 <= s <= 1 for s in scores)
    model = run.context["model"]
    assert not torch_changed(run, model), "the model should be back at its initial weights"
    run.ok("5 folds trained from the same initial weights; model restored afterwards")
