"""What MEM020's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, hf_trained


@applies("huggingface")
def _planned_hf(run: Run) -> None:
    args = args_of(run)
    planned = (run.facts["checkpointed_micro_batch"], run.facts.get("checkpointed_grad_accum", 1))
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == planned, planned
    assert args.activation_checkpointing
    hf_trained(run)
    run.ok(f"the memory plan's micro-batch {planned[0]} x {planned[1]} steps with checkpointing")
