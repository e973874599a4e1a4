"""What MEM008's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, lora_keras


@applies("keras")
def _lora_keras(run: Run) -> None:
    adapted = lora_keras(run)
    assert "trainable:" in run.output, "the trainable share is not printed"
    run.ok(f"LoRA on {len(adapted)} Keras layer(s): base kernels frozen and unchanged, adapters trained, head trainable")
