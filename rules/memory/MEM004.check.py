"""What MEM004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import math

from tests.snippets.checks import (
    Run, accumulate_hf, accumulate_keras, accumulate_torch, applies, fit_lightning,
)


@applies("lightning")
def _accumulate_lightning(run: Run) -> None:
    trainer = run.new("trainer")
    assert trainer.accumulate_grad_batches == run.facts["grad_accum_steps"]
    fit_lightning(run, trainer)
    batches = len(run.context["train_loader"])
    expected = math.ceil(batches / trainer.accumulate_grad_batches)
    assert trainer.global_step == expected, (trainer.global_step, expected)
    run.ok(f"{batches} batches gave {trainer.global_step} optimizer steps (accumulating {trainer.accumulate_grad_batches})")


_accumulate_torch = applies("pytorch")(accumulate_torch)  # shared with other rules: tests/snippets/checks.py


_accumulate_keras = applies("keras")(accumulate_keras)  # shared with other rules: tests/snippets/checks.py


_accumulate_hf = applies("huggingface")(accumulate_hf)  # shared with other rules: tests/snippets/checks.py
