"""What IMB004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import (
    Run, applies, balanced_draws, dataset_labels, fitted, hf_trained, sampler_share, trained_keras, trainer_of,
)


@applies("pytorch", "lightning")
def _weighted_sampler(run: Run) -> None:
    from torch.utils.data import WeightedRandomSampler

    sampler = run.new("sampler")
    assert isinstance(sampler, WeightedRandomSampler)
    balanced_draws(run, sampler_share(sampler, dataset_labels(run.context["train_dataset"]), run.classes),
                    "WeightedRandomSampler")


@applies("keras")
def _oversampled_keras(run: Run) -> None:
    idx = run.new("idx")
    counts = np.bincount(run.context["y_train"][idx], minlength=run.classes)
    assert len(set(counts.tolist())) == 1, f"over-sampled counts {counts}"
    run.ok(f"every class over-sampled to {counts[0]}")
    trained_keras(run)


@applies("sklearn")
def _oversampled_sklearn(run: Run) -> None:
    from imblearn.over_sampling import RandomOverSampler

    model = run.new("model")
    assert fitted(model) and isinstance(model.steps[0][1], RandomOverSampler), "no fitted over-sampling pipeline"
    X_res, y_res = model.steps[0][1].fit_resample(run.context["X_train"], run.context["y_train"])
    assert len(set(np.bincount(y_res).tolist())) == 1
    run.ok("pipeline over-samples every class to the majority's size in fit()")


@applies("huggingface")
def _oversampled_hf(run: Run) -> None:
    trainer = trainer_of(run)
    balanced = run.new("balanced_train")
    assert trainer.train_dataset is balanced, "the Trainer does not train on the over-sampled split"
    counts = np.bincount(balanced["label"], minlength=run.classes)
    assert len(set(counts.tolist())) == 1 and counts[0] == max(run.counts), f"over-sampled counts {counts}"
    run.ok(f"every class over-sampled to {counts[0]} rows")
    hf_trained(run)
