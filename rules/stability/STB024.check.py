"""What STB024's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, recurrent_initialised, trained_keras, trained_lightning


@applies("pytorch")
def _init_torch(run: Run) -> None:
    found = recurrent_initialised(run.context["model"])
    assert found, "the model has no LSTM/GRU layer to check"
    run.ok(f"{found} recurrent layer(s): orthogonal gates, zero biases, forget-gate bias 1")


@applies("lightning")
def _init_lightning(run: Run) -> None:
    import torch
    import torch.nn as nn

    trainer = trained_lightning(run)
    assert trainer.gradient_clip_val == 1.0 and str(trainer.gradient_clip_algorithm) in ("norm", "GradClipAlgorithmType.NORM")
    torch.manual_seed(1)
    fresh = nn.Sequential(nn.LSTM(8, 16, num_layers=2), nn.GRU(16, 16))  # the snippet's initialiser, on new layers
    fresh.apply(run.new("init_recurrent"))
    found = recurrent_initialised(fresh)
    assert found, "the model has no LSTM/GRU layer to check"
    run.ok(f"init_recurrent sets {found} fresh recurrent layers as advised; trained with the norm clipped at 1.0")


@applies("keras")
def _init_keras(run: Run) -> None:
    model = trained_keras(run)
    assert model is run.context["model"] and model.optimizer.clipnorm == 1.0
    recurrent = run.new("recurrent")
    assert recurrent and all(layer.name in run.output for layer in recurrent), "the recurrent layers were not reported"
    assert "recurrent init Orthogonal" in run.output
    run.ok(f"{len(recurrent)} recurrent layer(s) reported with their initialisers; refitted with clipnorm 1.0")
