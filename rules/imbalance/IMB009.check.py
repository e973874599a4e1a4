"""What IMB009's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch", "keras")
def _threshold(run: Run) -> None:
    threshold = run.new("threshold")
    assert 0.0 <= threshold <= 1.0, threshold
    run.ok(f"decision threshold {threshold:.3f} within [0, 1]")


@applies("sklearn")
def _threshold_sklearn(run: Run) -> None:
    tuned = run.new("tuned")
    if run.classes == 2:
        assert 0 < tuned.best_threshold_ < 1
        run.ok(f"threshold tuned by CV: {tuned.best_threshold_:.3f}")
    else:
        y_pred = run.new("y_pred")
        plain = run.new("model").predict(run.context["X_val"])
        rare = run.rarest
        assert (y_pred == rare).sum() >= (plain == rare).sum(), "prior correction should not predict the rare class less"
        run.ok("prior-corrected decisions predict the rare class at least as often")
