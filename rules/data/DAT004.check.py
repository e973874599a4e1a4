"""What DAT004's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

The aggregation is recomputed here from the snippet's `annotations` (Fleiss' kappa by its textbook
definition, Fleiss 1971), and the model must have been trained on the aggregated labels.
"""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import (
    Run, applies, close, hf_trained, torch_changed, trained_keras, trained_lightning,
)


def _fleiss(annotations: np.ndarray, classes: int) -> float:
    items, raters = annotations.shape
    n = np.array([[np.sum(row == k) for k in range(classes)] for row in annotations], dtype=float)
    agree = np.array([(sum(c * c for c in row) - raters) / (raters * (raters - 1)) for row in n])
    p = n.sum(axis=0) / (items * raters)
    return float((agree.mean() - np.sum(p * p)) / (1 - np.sum(p * p)))


def _aggregated(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """The snippet's votes and soft labels, checked against its own annotation matrix."""
    annotations, votes, agreement = run.new("annotations"), run.new("votes"), run.new("agreement")
    assert annotations.ndim == 2 and len(votes) == len(agreement) == len(annotations)
    shares = np.stack([(annotations == k).mean(axis=1) for k in range(run.classes)], axis=1)
    assert np.array_equal(votes, shares.argmax(axis=1)), "votes are not the majority"
    assert np.allclose(agreement, shares.max(axis=1)) and ((0 < agreement) & (agreement <= 1)).all()
    assert close(run.new("kappa"), _fleiss(annotations, run.classes), rel=1e-9), "Fleiss' kappa is wrong"
    run.ok(f"majority votes, agreement and Fleiss' kappa {run.new('kappa'):.2f} of {annotations.shape[1]} workers")
    return votes, shares


@applies("sklearn")
def _crowd(run: Run) -> None:
    votes, agreement = run.new("votes"), run.new("agreement")
    assert len(votes) == len(agreement) and ((0 < agreement) & (agreement <= 1)).all()
    run.ok("majority votes and agreement per item")


@applies("pytorch", "lightning")
def _soft_torch(run: Run) -> None:
    _, shares = _aggregated(run)
    assert np.allclose(run.new("soft").numpy(), shares) and len(shares) == len(run.context["train_dataset"])
    targets = next(iter(run.new("soft_loader")))[1]
    assert targets.is_floating_point() and np.allclose(targets.sum(dim=1).numpy(), 1)
    if run.framework == "lightning":
        trained_lightning(run)
    assert torch_changed(run), "the model was not trained on the soft labels"
    run.ok("trained on soft labels (worker shares per class)")


@applies("keras")
def _soft_keras(run: Run) -> None:
    import keras

    _, shares = _aggregated(run)
    model = trained_keras(run)
    assert np.allclose(run.new("soft"), shares) and isinstance(model.loss, keras.losses.CategoricalCrossentropy)
    run.ok("recompiled with categorical cross-entropy and fitted on soft labels")


@applies("huggingface")
def _votes_hf(run: Run) -> None:
    votes, _ = _aggregated(run)
    keep = run.new("agreement") >= 2 / 3
    agreed = run.new("agreed")
    assert len(agreed) == int(keep.sum()) and list(agreed["label"]) == votes[keep].tolist()
    hf_trained(run)
    assert run.new("trainer").train_dataset is agreed
    run.ok(f"trained on the {len(agreed)} majority-voted items the workers agree on")
