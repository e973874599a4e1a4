"""What STB011's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, hf_trained, trained_keras


@applies("pytorch")
def _warmup_torch(run: Run) -> None:
    import torch

    scheduler = run.new("scheduler")
    assert isinstance(scheduler, torch.optim.lr_scheduler.SequentialLR)
    lr_now = run.context["optimizer"].param_groups[0]["lr"]
    peak = run.context["optimizer"].param_groups[0]["initial_lr"]
    assert 0 <= lr_now < peak, (lr_now, peak)
    run.ok(f"linear warm-up then cosine decay: lr {lr_now:.3g} after training, peak {peak:.3g}")


@applies("keras")
def _warmup_keras(run: Run) -> None:
    import keras

    model = trained_keras(run)
    schedule = model.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay) and schedule.warmup_steps >= 1
    run.ok(f"CosineDecay with {schedule.warmup_steps} warm-up steps")


@applies("huggingface")
def _warmup_hf(run: Run) -> None:
    args = args_of(run)
    assert args.lr_scheduler_type == "cosine" and args.warmup_steps >= 1
    run.ok(f"cosine schedule, {args.warmup_steps} warm-up steps")
    hf_trained(run)
