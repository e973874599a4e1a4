"""What STB015's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, torch_changed


@applies("pytorch")
def _init_torch(run: Run) -> None:
    linears = [m for m in run.context["model"].modules() if type(m).__name__ in ("Linear", "Conv2d")]
    assert all(m.bias is None or float(m.bias.abs().sum()) == 0 for m in linears), "biases should be zero"
    assert torch_changed(run)
    run.ok(f"{len(linears)} layers re-initialised, zero biases")


@applies("keras")
def _init_keras(run: Run) -> None:
    import keras

    assert isinstance(run.new("relu_layer").kernel_initializer, keras.initializers.HeNormal)
    run.ok("He initialiser for the ReLU layer")
