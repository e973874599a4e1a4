"""What MEM020's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

MEM020 follows the memory plan (micro-batch and steps from the estimator), not the halved batch the
reduce-batch-size strategy's shared checks expect: its checks replace them (`replaces=True`).
"""

from __future__ import annotations

import math

from tests.snippets.checks import Run, applies, args_of, hf_trained, torch_equal, trained_keras, trained_lightning


@applies("huggingface")
def _planned_hf(run: Run) -> None:
    args = args_of(run)
    planned = (run.facts["checkpointed_micro_batch"], run.facts.get("checkpointed_grad_accum", 1))
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == planned, planned
    assert args.activation_checkpointing
    hf_trained(run)
    run.ok(f"the memory plan's micro-batch {planned[0]} x {planned[1]} steps with checkpointing")


def _plan(run: Run) -> tuple[int, int]:
    return run.facts["checkpointed_micro_batch"], run.facts.get("checkpointed_grad_accum") or 1


def _checkpointed(module) -> int:
    wrapped = [m for m in module.modules() if type(m).__name__ == "Checkpointed"]
    assert wrapped, "no block was wrapped for checkpointing"
    return len(wrapped)


@applies("pytorch", replaces=True)
def _planned_torch(run: Run) -> None:
    micro, steps = _plan(run)
    loader = run.new("loader")
    assert (loader.batch_size, run.new("accum_steps")) == (micro, steps), ((loader.batch_size, run.new("accum_steps")), _plan(run))
    wrapped = _checkpointed(run.context["model"])
    before = list(run.before["weights"].values())  # wrapping renamed the parameters (body -> body.block)
    assert any(not torch_equal(p, w) for p, w in zip(run.context["model"].parameters(), before)), "no optimizer step"
    optimizer, expected = run.context["optimizer"], math.ceil(len(loader) / steps)
    taken = {int(optimizer.state[p]["step"]) for g in optimizer.param_groups for p in g["params"] if p in optimizer.state}
    assert taken == {expected}, f"{len(loader)} micro-batches gave optimizer steps {taken}, not {expected}"
    run.ok(f"{wrapped} checkpointed block(s); {len(loader)} micro-batches of {micro} gave {expected} optimizer steps")


@applies("lightning", replaces=True)
def _planned_lightning(run: Run) -> None:
    micro, steps = _plan(run)
    trainer = trained_lightning(run)
    assert (run.new("loader").batch_size, trainer.accumulate_grad_batches) == (micro, steps)
    wrapped = _checkpointed(run.context["lit_model"])
    batches = len(run.new("loader"))
    assert trainer.global_step == math.ceil(batches / steps), (trainer.global_step, batches, steps)
    run.ok(f"{wrapped} checkpointed block(s); {batches} micro-batches of {micro} gave {trainer.global_step} steps")


@applies("keras", replaces=True)
def _planned_keras(run: Run) -> None:
    micro, steps = _plan(run)
    model = trained_keras(run)
    assert model is run.new("rebuilt")
    weighted = [layer for layer in model.layers if layer.weights]
    assert weighted and all(layer._remat_mode is not None for layer in weighted), "layers are not rematerialised"
    assert (model.optimizer.gradient_accumulation_steps or 1) == steps, model.optimizer.gradient_accumulation_steps
    assert type(model.optimizer) is type(run.context["model"].optimizer), "your optimizer should be kept"
    expected_batches = math.ceil(len(run.context["x_train"]) / micro)
    assert int(model.optimizer.iterations) == expected_batches // steps, (int(model.optimizer.iterations), expected_batches)
    run.ok(f"rematerialised layers; micro-batch {micro} x {steps} accumulation steps")
