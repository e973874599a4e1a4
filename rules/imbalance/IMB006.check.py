"""What IMB006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import math

import numpy as np

from tests.snippets.checks import Run, applies, finite, torch_changed, trained_keras, trained_lightning


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
    trainer = trained_lightning(run)
    assert trainer.train_dataloader.dataset is run.new("smote_loader").dataset, "not trained on the SMOTE rows"
    assert torch_changed(run)
    run.ok("the Trainer fitted the model on the SMOTE-augmented training split")


@applies("keras")
def _smote_keras(run: Run) -> None:
    _smote_balanced(run, len(run.context["x_train"]))
    model = trained_keras(run)
    steps = math.ceil(len(run.new("y_res")) / 32)  # fit()'s default batch size
    assert model is run.context["model"] and model.history.params["steps"] == steps, model.history.params
    run.ok(f"fitted on the SMOTE-augmented rows ({steps} steps per epoch)")
