"""What EVAL005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies


@applies("huggingface", "pytorch", "lightning", "sklearn", "keras")
def _curves(run: Run) -> None:
    png = run.cwd / "pr_roc_curves.png"
    assert png.is_file() and png.stat().st_size > 1000
    run.ok("PR and ROC curves saved")


@applies("keras")
def _scores_keras(run: Run) -> None:
    probs = run.context["model"].predict(run.context["x_val"], verbose=0)
    positive = run.new("positive")
    rarest = int(np.bincount(run.context["y_val"], minlength=run.classes).argmin())  # on the split plotted
    assert positive == (1 if run.classes == 2 else rarest), (positive, rarest)
    assert np.allclose(run.new("y_score"), probs[:, positive], atol=1e-6), "scores are not the positive class's"
    assert (run.new("y_true") == (np.asarray(run.context["y_val"]) == positive)).all()
    run.ok(f"curves of class {positive} against the rest, from the model's validation probabilities")
