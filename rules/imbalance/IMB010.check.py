"""What IMB010's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import re

import numpy as np

from tests.snippets.checks import Run, applies, finite, keras_fitted_on, lightning_fitted_on, torch_changed


@applies("sklearn")
def _resampled_cv(run: Run) -> None:
    pipe, scores, scoring = run.new("pipe"), run.new("scores"), run.new("scoring")
    assert list(pipe.named_steps) == ["resample", "model"]  # resampling inside each training fold
    for name in scoring:
        values = scores["test_" + name]
        assert len(values) == 5 and finite(values) and ((0 <= values) & (values <= 1)).all(), (name, values)
    run.ok(f"5 folds scored on {', '.join(scoring)} with random over-sampling inside each training fold")


def _balanced_rows(run: Run, train_size: int) -> None:
    """The training split was over-sampled to the majority's size; the validation split was scored as it is."""
    counts = np.bincount(run.new("y_res"), minlength=run.classes)
    assert (counts == max(run.counts)).all(), f"resampled counts {counts}"
    assert len(run.new("X_res")) == counts.sum() >= train_size
    wanted = len(run.context["y_val"]) if "y_val" in run.context else len(run.context["val_loader"].dataset)
    assert len(run.new("probs")) == wanted, "not scored on the whole validation split"
    printed = re.search(r"balanced accuracy: (\d\.\d+)", run.output)
    assert printed and 0 <= float(printed.group(1)) <= 1, run.output[-300:]
    assert (run.classes == 2) == ("PR-AUC:" in run.output)
    run.ok(f"every class over-sampled to {counts[0]} rows; balanced accuracy {printed.group(1)} on validation")


@applies("pytorch")
def _resampled_torch(run: Run) -> None:
    _balanced_rows(run, len(run.context["train_dataset"]))
    assert torch_changed(run), "training changed no weight"
    run.ok("the model trained on the resampled rows")


@applies("lightning")
def _resampled_lightning(run: Run) -> None:
    _balanced_rows(run, len(run.context["train_dataset"]))
    lightning_fitted_on(run, "resampled_loader")
    run.ok("the Trainer fitted the model on the resampled rows")


@applies("keras")
def _resampled_keras(run: Run) -> None:
    _balanced_rows(run, len(run.context["x_train"]))
    steps = keras_fitted_on(run, "y_res")
    run.ok(f"fitted on the resampled rows ({steps} steps per epoch)")
