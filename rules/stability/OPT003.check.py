"""What OPT003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import (Run, applies, close, hf_trained, torch_changed, trained_keras, trained_lightning,
                                   trainer_of)


@applies("pytorch")
def _gan_adam(run: Run) -> None:
    import torch

    optimizer = run.new("optimizer")
    assert type(optimizer) is torch.optim.Adam, type(optimizer)
    assert optimizer.defaults["betas"] == (0.5, 0.999) and close(optimizer.defaults["lr"], 2e-4)
    covered = {id(p) for g in optimizer.param_groups for p in g["params"]}
    assert covered == {id(p) for p in run.context["model"].parameters()}
    run.ok("Adam at lr 2e-4 with beta1 0.5 over all parameters")


@applies("lightning")
def _gan_adam_lightning(run: Run) -> None:
    import torch

    optimizer = trained_lightning(run).optimizers[0]
    assert type(optimizer) is torch.optim.Adam, type(optimizer)
    assert optimizer.defaults["betas"] == (0.5, 0.999) and close(optimizer.defaults["lr"], 2e-4)
    assert torch_changed(run)
    run.ok("configure_optimizers returned Adam at lr 2e-4, beta1 0.5; the Trainer stepped it")


@applies("huggingface")
def _gan_adam_hf(run: Run) -> None:
    hf_trained(run)
    group = trainer_of(run).optimizer.param_groups[0]
    assert group["betas"] == (0.5, 0.999) and close(group["initial_lr"], 2e-4) and group["weight_decay"] == 0.0
    run.ok("the Trainer's optimizer: lr 2e-4, betas (0.5, 0.999), no weight decay (Adam)")


@applies("keras")
def _gan_adam_keras(run: Run) -> None:
    import keras

    opt = trained_keras(run).optimizer
    assert isinstance(opt, keras.optimizers.Adam) and not isinstance(opt, keras.optimizers.AdamW)
    assert opt.beta_1 == 0.5 and opt.beta_2 == 0.999
    assert close(float(keras.ops.convert_to_numpy(opt.learning_rate)), 2e-4, rel=1e-5)
    run.ok("Keras Adam at lr 2e-4, beta1 0.5")
