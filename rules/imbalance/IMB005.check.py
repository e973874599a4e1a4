"""What IMB005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import (
    Run, applies, dataset_labels, finite, hf_trained, trained_keras, trained_lightning, trainer_of,
)


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


def _corrected(run: Run, probs, keep, counts) -> None:
    probs = np.asarray(probs, dtype=float)
    assert (keep <= counts).all() and keep.max() <= 5 * counts[counts > 0].min(), f"kept {keep} of {counts}"
    assert finite(probs) and (probs >= 0).all() and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    run.ok(f"majority cut to {keep.max()} (≤ 5x minority); corrected probabilities sum to 1")


@applies("keras")
def _undersampled_keras(run: Run) -> None:
    keep, counts = run.new("keep"), run.new("counts")
    drawn = np.bincount(run.context["y_train"][run.new("idx")], minlength=run.classes)
    assert (drawn == keep).all(), f"the last epoch trained on {drawn}, expected {keep}"
    first, last = run.new("epoch_indices")(0), run.new("idx")
    assert run.new("EPOCHS") < 2 or set(first.tolist()) != set(last.tolist()), "every epoch drew the same subset"
    _corrected(run, run.new("probs"), keep, counts)
    trained_keras(run)


@applies("lightning")
def _undersampled_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    assert trainer.reload_dataloaders_every_n_epochs == 1 and trainer.current_epoch == 2
    keep, counts = run.new("keep").numpy(), run.new("counts").numpy()
    labels = dataset_labels(run.context["train_dataset"])
    drawn = np.bincount(labels[list(trainer.train_dataloader.sampler)], minlength=run.classes)
    assert (drawn == keep).all(), f"the last epoch drew {drawn}, expected {keep}"
    _corrected(run, run.new("probs"), keep, counts)


@applies("huggingface")
def _undersampled_hf(run: Run) -> None:
    trainer = trainer_of(run)
    keep, counts, epochs = run.new("keep"), run.new("counts"), run.new("EPOCHS")
    drawn = np.bincount(trainer.train_dataset["label"], minlength=run.classes)
    assert (drawn == epochs * keep).all(), f"trained on {drawn}, expected {epochs} x {keep}"
    _corrected(run, run.new("probs"), keep, counts)
    assert len(run.new("probs")) == len(run.context["eval_dataset"])
    hf_trained(run)
