"""What MEM009's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, trained_keras


@applies("keras")
def _qlora_keras(run: Run) -> None:
    import keras
    import numpy as np

    model = trained_keras(run)
    assert model is run.context["model"], "the base must be your model, quantized in place"
    head = model.layers[-1]
    adapted = [layer for layer in model.layers if getattr(layer, "lora_enabled", False)]
    assert adapted and head not in adapted, "no hidden layer got adapters, or the head did"
    trainable = {id(w) for w in model.trainable_weights}
    for layer in adapted:
        assert layer.quantization_mode == "int4" and str(layer._kernel.dtype) == "int8", \
            f"{layer.name}: base kernel {layer._kernel.dtype} in mode {layer.quantization_mode}"  # int4 packed in int8
        assert id(layer._kernel) not in trainable, f"{layer.name}: the 4-bit base is trainable"
        assert np.any(keras.ops.convert_to_numpy(layer.lora_kernel_b) != 0), f"{layer.name}: adapters untrained"
    assert head.quantization_mode is None and str(head.kernel.dtype) == "float32" and id(head.kernel) in trainable
    assert "trainable:" in run.output
    run.ok(f"{len(adapted)} int4 layer(s) with trained LoRA adapters; float head trainable")
