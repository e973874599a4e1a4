"""What IMB006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations


import numpy as np

from tests.snippets.checks import Run, applies, finite, keras_fitted_on, lightning_fitted_on, torch_changed


@applies("sklearn")
def _smote_cv(run: Run) -> None:
    scores, scoring = run.new("scores"), run.new("scoring")
    for name in scoring:
        values = scores["test_" + name]
        assert len(values) == 5 and finite(values) and ((0 <= values) & (values <= 1)).all(), (name, values)
    run.ok(f"5 folds scored on {', '.join(scoring)} with SMOTE inside each training fold")


def _smote_balanced(run: Run, train_size: int) -> None:
    y_res = run.new("y_res")
    counts = np.bincount(y_res, minlength=run.classes)
    assert len(set(counts.tolist())) == 1, f"SMOTE counts {counts}"
    assert len(run.new("X_res")) == len(y_res) > train_size
    run.ok(f"SMOTE raised every class to {counts[0]} samples")


@applies("pytorch")
def _smote_torch(run: Run) -> None:
    _smote_balanced(run, len(run.context["train_dataset"]))


@applies("lightning")
def _smote_lightning(run: Run) -> None:
    _smote_balanced(run, len(run.context["train_dataset"]))
    lightning_fitted_on(run, "smote_loader")
    assert torch_changed(run)
    run.ok("the Trainer fitted the model on the SMOTE-augmented training split")


@applies("keras")
def _smote_keras(run: Run) -> None:
    _smote_balanced(run, len(run.context["x_train"]))
    steps = keras_fitted_on(run, "y_res")
    run.ok(f"fitted on the SMOTE-augmented rows ({steps} steps per epoch)")
