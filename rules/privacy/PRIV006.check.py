"""What PRIV006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, torch_changed, trained_lightning


@applies("pytorch", "lightning", "huggingface")
def _dp(run: Run) -> None:
    epsilon = run.new("privacy_engine").get_epsilon(run.new("TARGET_DELTA"))
    assert 0 < epsilon <= 8.5, epsilon
    assert run.new("TARGET_DELTA") < 1 / len(run.context["train_dataset"])
    run.ok(f"DP-SGD spent epsilon {epsilon:.2f} of the 8.0 budget")


@applies("lightning")
def _dp_lightning(run: Run) -> None:
    from opacus.optimizers import DPOptimizer

    trainer = trained_lightning(run)
    assert isinstance(trainer.optimizers[0], DPOptimizer), f"the Trainer stepped {type(trainer.optimizers[0]).__name__}"
    accountant = run.new("privacy_engine").accountant
    assert len(accountant) > 0 and sum(n for _, _, n in accountant.history) == trainer.global_step, \
        "the accountant must count every optimizer step the Trainer took"
    run.ok(f"Lightning stepped the DP optimizer {trainer.global_step} times, every step accounted")


@applies("huggingface")
def _dp_hf(run: Run) -> None:
    import math

    from transformers import PreTrainedModel

    assert isinstance(run.new("model"), PreTrainedModel), "leave `model` as the plain PreTrainedModel"
    assert torch_changed(run), "the weights did not change"
    assert math.isfinite(run.new("loss").item()), run.new("loss")
    run.ok("the model was fine-tuned with DP-SGD; finite loss")
