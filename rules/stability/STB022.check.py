"""What STB022's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, trained_keras


@applies("keras")
def _fp16_mixed_keras(run: Run) -> None:
    import keras

    model = trained_keras(run)
    assert model is run.new("rebuilt")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer), type(model.optimizer)
    assert model.optimizer.inner_optimizer.clipnorm == 1.0
    hidden = [layer for layer in model.layers if layer.weights][:-1]
    assert hidden and all(layer.dtype_policy.compute_dtype == "float16" for layer in hidden), \
        [layer.dtype_policy.name for layer in model.layers]
    assert model.layers[-1].dtype_policy.compute_dtype == "float32", "the output layer should compute in float32"
    assert all(w.dtype == "float32" for w in model.weights), "variables must stay float32"
    run.ok("mixed_float16: fp16 hidden layers, float32 variables and output, dynamic loss scaling, clipnorm 1.0")
