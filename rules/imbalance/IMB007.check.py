"""What IMB007's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

The strategy's shared Keras check (tests/snippets/checks.py, data-augmentation) verifies that `augment`
changes images in training only and that `aug_model` was fitted; these add the balanced draws."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import (
    Run, applies, balanced_draws, dataset_labels, finite, sampler_share, torch_batch, torch_changed,
    trained_lightning,
)


@applies("keras")
def _balanced_keras(run: Run) -> None:
    idx = run.new("idx")
    shares = np.bincount(run.context["y_train"][idx], minlength=run.classes) / len(idx)
    balanced_draws(run, shares, "the drawn training indices")


@applies("lightning")
def _augmented_lightning(run: Run) -> None:
    import torch
    from torch.utils.data import WeightedRandomSampler

    trainer = trained_lightning(run)
    sampler = trainer.train_dataloader.sampler
    assert isinstance(sampler, WeightedRandomSampler), f"the Trainer replaced the sampler: {type(sampler)}"
    balanced_draws(run, sampler_share(sampler, dataset_labels(run.context["train_dataset"]), run.classes),
                   "WeightedRandomSampler")
    assert torch_changed(run)
    inputs, targets = torch_batch(run)
    torch.manual_seed(0)
    views = run.new("augment")(inputs)
    assert views.shape == inputs.shape and finite(views) and not torch.allclose(views, inputs), \
        "augment() returned the images unchanged"
    lit_model = run.context["lit_model"]
    assert not trainer.training
    same, _ = lit_model.on_after_batch_transfer((inputs, targets), 0)
    assert same is inputs, "batches outside training were augmented"
    trainer.training = True  # the state the fit loop sets for a training batch
    try:
        seen, _ = lit_model.on_after_batch_transfer((inputs, targets), 0)
    finally:
        trainer.training = False
    assert seen.shape == inputs.shape and not torch.allclose(seen, inputs), "training batches were not augmented"
    run.ok("training batches get a new random view on the device; validation batches stay real")
