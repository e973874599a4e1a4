"""What STB016's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, finite, forward, torch_batch

_SATURATING = ("Sigmoid", "Tanh")


@applies("pytorch", "lightning")
def _activation_torch(run: Run) -> None:
    model = run.context["model"]
    if run.facts.get("activation") in ("sigmoid", "tanh"):  # the context built it with that activation
        assert run.before["saturating"], "the test model should have had saturating activations"
    assert not any(type(m).__name__ in _SATURATING for m in model.modules()), "a Sigmoid or Tanh is left"
    assert finite(forward(model, torch_batch(run)[0]))
    run.ok(f"{run.before['saturating']} saturating activation(s) replaced; the model still runs")


@applies("keras")
def _activation_keras(run: Run) -> None:
    hidden = run.new("hidden")
    out = hidden(np.ones((2, 8), dtype="float32"))
    assert tuple(out.shape) == (2, 128)
    run.ok("ReLU block builds and runs")
