"""What EXPL002's snippet must have done (tests/test_snippets.py runs it; rules/README.md).

It runs again on a planted problem: the label is the sign of feature 0 alone, so mean |SHAP| must rank
that feature first, far above the others."""

from __future__ import annotations

import numpy as np

from tests.snippets import contexts
from tests.snippets.checks import Run, applies

PLANTED = 0


@applies("sklearn")
def _shap_ranking(run: Run) -> None:
    from sklearn.base import clone

    assert (run.cwd / "shap_beeswarm.png").stat().st_size > 1000, "no beeswarm plot saved"
    values = run.new("explanation").values
    assert values.ndim == 2 and values.shape[1] == contexts.FEATURES, f"SHAP values of shape {values.shape}"
    x = np.random.default_rng(0).normal(size=(192, contexts.FEATURES)).astype(np.float32)
    y = (x[:, PLANTED] < 0).astype(np.int64)
    again = run.rerun({**run.context, "model": clone(run.context["model"]), "X_train": x[:96], "y_train": y[:96],
                       "X_val": x[96:], "y_val": y[96:]})
    rank = again["shap_rank"]
    others = np.delete(rank, PLANTED)
    assert rank.argmax() == PLANTED and others.max() < 0.5 * rank[PLANTED], f"mean |SHAP| {np.round(rank, 3)}"
    run.ok(f"one class explained, {values.shape[1]} features; planted feature ranked first ({rank[PLANTED]:.3f})")
