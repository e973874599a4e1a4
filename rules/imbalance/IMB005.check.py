"""What IMB005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, dataset_labels, finite


@applies("pytorch")
def _undersampled_torch(run: Run) -> None:
    keep = run.new("keep").numpy()
    counts = run.new("counts").numpy()
    assert (keep <= counts).all() and keep.max() <= 5 * counts[counts > 0].min()
    drawn = np.bincount(dataset_labels(run.context["train_dataset"])[list(run.new("loader").sampler)],
                        minlength=run.classes)
    assert (drawn == keep).all(), f"loader draws {drawn}, expected {keep}"
    probs = run.new("probs")
    assert finite(probs) and np.allclose(probs.sum(dim=1).numpy(), 1, atol=1e-5)
    run.ok(f"majority cut to {keep.max()} (≤ 5x minority); corrected probabilities sum to 1")


@applies("sklearn")
def _undersampled_sklearn(run: Run) -> None:
    counts = np.bincount(run.new("y_res"))
    assert counts.max() <= 5 * counts.min(), f"resampled counts {counts}"
    proba = run.new("proba")
    assert np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
    run.ok(f"resampled counts {counts.tolist()}; corrected probabilities sum to 1")
