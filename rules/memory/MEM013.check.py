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
