"""What PERF006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, hf_trained, torch_changed, trained_keras, trained_lightning


def _sparsity(run: Run) -> float:
    sparsity = run.new("zeros") / run.new("total")
    assert 0.29 <= sparsity <= 0.31, sparsity
    return sparsity


@applies("pytorch")
def _prune(run: Run) -> None:
    sparsity = _sparsity(run)
    assert not any(n.endswith("_orig") for n, _ in run.context["model"].named_parameters()), "masks not removed"
    run.ok(f"global sparsity {sparsity:.1%}, masks baked in")


@applies("lightning", "huggingface")
def _prune_and_fine_tune(run: Run) -> None:
    if run.framework == "lightning":
        trainer = trained_lightning(run)
        assert trainer.current_epoch >= 2, "no epoch fine-tuned the pruned network"
    else:
        hf_trained(run)
    sparsity = _sparsity(run)
    model = run.context["model"]
    assert not any(n.endswith("_orig") for n, _ in model.named_parameters()), "masks not removed"
    assert not any(n.endswith("_mask") for n, _ in model.named_buffers()), "masks left as buffers"
    assert torch_changed(run), "the surviving weights were not fine-tuned"
    run.ok(f"pruned to {sparsity:.1%} sparsity, fine-tuned, masks baked in")


@applies("keras")
def _prune_keras(run: Run) -> None:
    import keras
    import numpy as np

    trained_keras(run)
    sparsity = _sparsity(run)
    for layer, mask in zip(run.new("layers"), run.new("masks")):
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        assert (kernel[~mask] == 0).all(), f"{layer.name}: pruned weights grew back in fine-tuning"
    before = [w for w in run.before["weights"] if w.ndim >= 2]
    assert any(not np.allclose(keras.ops.convert_to_numpy(layer.kernel)[m], b[m])
               for layer, m, b in zip(run.new("layers"), run.new("masks"), before)), "surviving weights not fine-tuned"
    run.ok(f"kernels pruned to {sparsity:.1%}; fine-tuning kept them pruned and trained the rest")
