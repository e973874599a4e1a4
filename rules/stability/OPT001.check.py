"""What OPT001's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import (Run, applies, close, hf_trained, torch_changed, trained_keras, trained_lightning,
                                   trainer_of)


def _momentum_sgd(run: Run, optimizer) -> None:
    import torch

    assert type(optimizer) is torch.optim.SGD, type(optimizer)
    d = optimizer.defaults
    assert d["momentum"] == 0.9 and d["nesterov"] and d["weight_decay"] == 5e-4, d
    assert close(d["lr"], run.facts["lr_typical"], rel=1e-2), (d["lr"], run.facts["lr_typical"])
    run.ok(f"SGD at lr {d['lr']:.3g} (the setup's typical rate), Nesterov momentum 0.9, weight decay 5e-4")


@applies("pytorch")
def _sgd_torch(run: Run) -> None:
    _momentum_sgd(run, run.new("optimizer"))


@applies("lightning")
def _sgd_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    _momentum_sgd(run, trainer.optimizers[0])
    scheduler = trainer.lr_scheduler_configs[0]
    assert type(scheduler.scheduler).__name__ == "CosineAnnealingLR" and scheduler.interval == "step"
    assert trainer.optimizers[0].param_groups[0]["lr"] < run.facts["lr_typical"], "the rate did not decay"
    assert torch_changed(run)
    run.ok("cosine decay per step; weights trained")


@applies("huggingface")
def _sgd_hf(run: Run) -> None:
    hf_trained(run)
    trainer = trainer_of(run)
    given = run.new("optimizer")
    assert given in (trainer.optimizer, getattr(trainer.optimizer, "optimizer", None)), "the Trainer built its own"
    _momentum_sgd(run, run.new("optimizer"))
    assert type(trainer.lr_scheduler).__name__ == "LambdaLR" and trainer.args.lr_scheduler_type.value == "cosine"
    run.ok("the Trainer stepped the given SGD under a cosine schedule")


@applies("keras")
def _sgd_keras(run: Run) -> None:
    import keras

    model = trained_keras(run)
    opt = model.optimizer
    assert isinstance(opt, keras.optimizers.SGD) and opt.momentum == 0.9 and opt.nesterov and opt.weight_decay == 5e-4
    schedule = opt._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert close(schedule.initial_learning_rate, run.facts["lr_typical"], rel=1e-2)
    run.ok(f"Keras SGD, Nesterov momentum 0.9, cosine decay from {schedule.initial_learning_rate:.3g}")
