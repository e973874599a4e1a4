"""What GEN002's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite, torch_batch, torch_changed, trained_lightning


@applies("lightning")
def _augment_lightning(run: Run) -> None:
    import torch

    trained_lightning(run)
    assert torch_changed(run), "training on augmented batches changed no weight"
    lit_model = run.context["lit_model"]
    assert type(lit_model).on_after_batch_transfer is not type(lit_model).__mro__[1].on_after_batch_transfer
    inputs, targets = torch_batch(run)
    torch.manual_seed(0)
    new_inputs, new_targets = run.new("augment")(inputs, targets)
    assert new_inputs.shape == inputs.shape and new_inputs.dtype == inputs.dtype and finite(new_inputs.float())
    assert not torch.equal(new_inputs, inputs), "the training batch was not augmented"
    if new_targets.is_floating_point():  # MixUp: soft labels, one row per sample, each summing to 1
        assert new_targets.shape == (len(inputs), run.classes)
        assert torch.allclose(new_targets.sum(dim=1), torch.ones(len(inputs)))
    else:
        assert torch.equal(new_targets, targets), "labels must be kept"
    lit_model.trainer.training = False  # as in validation: the batch passes unchanged
    assert lit_model.on_after_batch_transfer((inputs, targets), 0)[0] is inputs
    run.ok("training batches augmented (labels kept or mixed), validation batches untouched")
