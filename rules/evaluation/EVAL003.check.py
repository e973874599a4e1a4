"""What EVAL003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, finite, hf_trained, torch_changed, trained_keras


@applies("sklearn")
def _cv_sklearn(run: Run) -> None:
    scores = run.new("scores")
    for name in run.new("scoring"):
        assert len(scores["test_" + name]) == 5 and finite(scores["test_" + name])
    run.ok("5 stratified folds scored")


def _five_scores(run: Run) -> None:
    scores = run.new("scores")
    assert len(scores) == 5 and all(0 <= s <= 1 for s in scores), scores


@applies("pytorch", "lightning", "huggingface")
def _cv_torch(run: Run) -> None:
    _five_scores(run)
    model = run.context["model"]
    assert not torch_changed(run, model), "the model should be back at its initial weights"
    if run.framework == "huggingface":
        hf_trained(run)  # the last fold's Trainer took its steps
    run.ok("5 folds trained from the same initial weights; model restored afterwards")


@applies("keras")
def _cv_keras(run: Run) -> None:
    _five_scores(run)
    fold_model = trained_keras(run)
    assert fold_model is not run.context["model"], "the folds should train clones, not your model"
    now = run.context["model"].get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(now, run.before["weights"])), "your model's weights changed"
    run.ok("5 folds trained on fresh clones; your model untouched")
