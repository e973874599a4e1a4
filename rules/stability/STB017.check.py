"""What STB017's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import torch.nn as nn

from tests.snippets.checks import Run, applies, trained_lightning

_WEIGHTED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.ELU, nn.Tanh, nn.Sigmoid)


@applies("lightning")
def _batch_norm_lightning(run: Run) -> None:
    net = run.context["lit_model"].net
    pairs = 0
    for seq in (m for m in net.modules() if isinstance(m, nn.Sequential)):
        layers = list(seq)
        for layer, after, then in zip(layers, layers[1:], layers[2:] + [None]):
            if isinstance(layer, _WEIGHTED) and isinstance(after, _ACTIVATIONS):
                raise AssertionError(f"{type(layer).__name__} still feeds {type(after).__name__} without a norm")
            if isinstance(layer, _WEIGHTED) and isinstance(after, nn.modules.batchnorm._BatchNorm):
                pairs += 1
                assert isinstance(then, _ACTIVATIONS), f"a norm after {type(layer).__name__} must precede its activation"
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert pairs and norms, "no conv / dense layer is batch-normalised"
    trained_lightning(run)
    assert all(int(m.num_batches_tracked) > 0 for m in norms), "a BatchNorm never saw a training batch"
    run.ok(f"{pairs} layer(s) batch-normalised before their activation; running statistics trained")
