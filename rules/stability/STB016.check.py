"""What STB016's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies


@applies("pytorch")
def _activation_torch(run: Run) -> None:
    assert not any(type(m).__name__ in ("Sigmoid", "Tanh") for m in run.context["model"].modules())
    run.ok("no saturating activation left")


@applies("keras")
def _activation_keras(run: Run) -> None:
    hidden = run.new("hidden")
    out = hidden(np.ones((2, 8), dtype="float32"))
    assert tuple(out.shape) == (2, 128)
    run.ok("ReLU block builds and runs")
