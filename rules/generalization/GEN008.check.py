"""What GEN008's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, lora_keras, trained_lightning


@applies("lightning")
def _adapters_trained_lightning(run: Run) -> None:
    """The strategy's check sees the base frozen; this one, that the adapters themselves learned."""
    trained_lightning(run)
    adapted = [(n, m) for n, m in run.context["model"].named_modules() if hasattr(m, "base_layer")]
    assert adapted, "no layer got a LoRA adapter"
    for name, module in adapted:
        assert module.lora_B["default"].weight.abs().sum() > 0, f"{name}: adapter B still zero, not trained"
    run.ok(f"{len(adapted)} LoRA adapter(s) trained from their zero start")


@applies("keras")
def _lora_keras(run: Run) -> None:
    adapted = lora_keras(run)
    run.ok(f"{len(adapted)} Keras layer(s) with LoRA: kernels frozen and unchanged, adapters trained")
