"""What EVAL006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, fitted, torch_changed


@applies("pytorch")
def _search_torch(run: Run) -> None:
    fine = run.new("fine")
    assert 0 <= fine.best_value <= 1 and {"lr", "weight_decay"} <= set(fine.best_params)
    assert not torch_changed(run), "the model should be back at its initial weights"
    run.ok(f"best lr {fine.best_params['lr']:.3g}")


@applies("sklearn")
def _search_sklearn(run: Run) -> None:
    search = run.new("search")
    assert fitted(search.best_estimator_) and 0 <= search.best_score_ <= 1
    run.ok(f"best CV score {search.best_score_:.3f}")
