"""What IMB009's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, close, forward, hf_predictions


def _best_f1_threshold(y_true: np.ndarray, probs: np.ndarray) -> float:
    """The threshold on the minority's probability that maximises its F1, computed apart from the snippet."""
    from sklearn.metrics import precision_recall_curve

    minority = 1 if probs.shape[1] == 2 else int(np.bincount(y_true, minlength=probs.shape[1]).argmin())
    precision, recall, thresholds = precision_recall_curve(y_true == minority, probs[:, minority])
    f1 = 2 * precision * recall / np.clip(precision + recall, 1e-12, None)
    return float(thresholds[int(np.argmax(f1[:-1]))])


@applies("huggingface", "pytorch", "lightning", "keras")
def _threshold(run: Run) -> None:
    threshold = run.new("threshold")
    assert 0.0 <= threshold <= 1.0, threshold
    if run.framework == "keras":
        y_true = run.context["y_val"]
        probs = run.context["model"].predict(run.context["x_val"], verbose=0)
    elif run.framework == "huggingface":
        import torch

        y_true, logits = hf_predictions(run)
        probs = torch.softmax(torch.as_tensor(logits), dim=-1).numpy()
    else:
        import torch

        xs, ys = zip(*run.context["val_loader"])
        y_true = torch.cat(ys).numpy()
        probs = torch.softmax(forward(run.context["model"], torch.cat(xs)), dim=1).numpy()
    expected = _best_f1_threshold(y_true, probs)
    assert close(threshold, expected, rel=1e-4), f"threshold {threshold:.4f}, best-F1 threshold {expected:.4f}"
    run.ok(f"decision threshold {threshold:.3f}: the minority's best-F1 point on the validation set")


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
