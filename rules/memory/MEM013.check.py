"""What MEM013's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite


@applies("pytorch")
def _quantized_torch(run: Run) -> None:
    model = run.context["model"]
    linear_weights = [m.weight for m in model.modules() if type(m).__name__ == "Linear"]
    assert linear_weights and all(type(w).__name__ != "Parameter" or "int8" in str(w.dtype) for w in linear_weights), \
        [type(w).__name__ for w in linear_weights]
    assert finite(run.new("outputs"))
    run.ok("Linear weights int8 (torchao); outputs finite")


@applies("huggingface")
def _quantized_hf(run: Run) -> None:
    model = run.new("model")
    layers = [type(m).__name__ for m in model.modules() if "8bit" in type(m).__name__ or "4bit" in type(m).__name__]
    assert layers, "no bitsandbytes layer"
    assert model.get_memory_footprint() < run.context["model"].get_memory_footprint()
    run.ok(f"{len(layers)} bitsandbytes layers; memory footprint below the fp32 model's")


@applies("lightning")
def _quantized_lightning(run: Run) -> None:
    net = run.context["lit_model"].net
    weights = [m.weight for m in net.modules() if type(m).__name__ == "Linear"]
    assert weights and all(type(w).__module__.startswith("torchao") for w in weights), [type(w).__name__ for w in weights]
    predictions = run.new("predictions")
    assert len(predictions) == len(run.context["val_loader"]) and all(finite(p) for p in predictions)
    assert predictions[0].shape[-1] == run.classes
    run.ok(f"Linear weights int8 (torchao); trainer.predict gave finite logits for {len(predictions)} batches")


@applies("keras")
def _quantized_keras(run: Run) -> None:
    import numpy as np

    model = run.context["model"]
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel_scale")]
    assert kernels and all(str(k.dtype) == "int8" for k in kernels), [str(k.dtype) for k in kernels]
    fp32_bytes = sum(w.nbytes for w in run.before["weights"])
    assert run.new("weight_bytes") < 0.5 * fp32_bytes, (run.new("weight_bytes"), fp32_bytes)
    outputs = np.asarray(run.new("outputs"))
    assert outputs.shape == (len(run.context["x_val"]), run.classes) and finite(outputs)
    run.ok(f"{len(kernels)} int8 kernel(s), {run.new('weight_bytes')} bytes vs {fp32_bytes} in float32; outputs finite")
