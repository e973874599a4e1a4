"""What OPT004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, close, trained_keras


@applies("pytorch")
def _adamw_torch(run: Run) -> None:
    import torch

    optimizer = run.new("optimizer")
    assert type(optimizer) is torch.optim.AdamW, type(optimizer)
    d = optimizer.defaults
    assert close(d["lr"], 3e-4) and d["betas"] == (0.9, 0.999) and d["weight_decay"] == 0.01, d
    run.ok("AdamW at lr 3e-4, betas (0.9, 0.999), weight decay 0.01")


@applies("keras")
def _adamw_keras(run: Run) -> None:
    import keras

    opt = trained_keras(run).optimizer
    assert isinstance(opt, keras.optimizers.AdamW) and opt.weight_decay == 0.01 and opt.beta_1 == 0.9
    assert close(float(keras.ops.convert_to_numpy(opt.learning_rate)), 3e-4, rel=1e-5)
    run.ok("Keras AdamW at lr 3e-4, weight decay 0.01")
