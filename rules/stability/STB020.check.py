"""What STB020's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, close, hf_trained, trained_keras, trained_lightning


def _advised(run: Run) -> float:
    return float(f"{run.facts['lr_typical']:.3g}")


@applies("pytorch")
def _raised_torch(run: Run) -> None:
    lrs = [g["lr"] for g in run.context["optimizer"].param_groups]
    assert all(close(lr, _advised(run)) for lr in lrs), (lrs, _advised(run))
    run.ok(f"every parameter group at the advised lr {_advised(run):.3g}")


@applies("huggingface")
def _raised_hf(run: Run) -> None:
    args = args_of(run)
    assert close(args.learning_rate, _advised(run)) and 0 < args.warmup_steps < 1
    hf_trained(run)
    run.ok(f"learning_rate {args.learning_rate:.3g} with {args.warmup_steps:.0%} warmup")


@applies("keras")
def _raised_keras(run: Run) -> None:
    import numpy as np

    model = trained_keras(run)
    assert close(float(np.asarray(model.optimizer.learning_rate)), _advised(run), rel=1e-5)
    run.ok(f"recompiled at the advised lr {_advised(run):.3g}")


@applies("lightning")
def _raised_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    assert close(trainer.optimizers[0].param_groups[0]["lr"], _advised(run))
    run.ok(f"configure_optimizers built AdamW at the advised lr {_advised(run):.3g}")
