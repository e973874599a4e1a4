"""What GEN003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, fitted, history_losses, torch_equal, trained_keras, trainer_of


@applies("pytorch")
def _early_torch(run: Run) -> None:
    best = run.new("best_state")
    model = run.context["model"]
    assert all(torch_equal(p, best[n]) for n, p in model.named_parameters()), "the best weights were not restored"
    run.ok(f"best weights restored (val loss {run.new('best_loss'):.4f})")


@applies("keras")
def _early_keras(run: Run) -> None:
    stop = run.new("stop")
    assert stop.restore_best_weights and stop.monitor == "val_loss"
    model = trained_keras(run)
    assert len(history_losses(model)) <= 100
    run.ok(f"EarlyStopping on val_loss ran {len(history_losses(model))} epochs")


@applies("huggingface")
def _early_hf(run: Run) -> None:
    from transformers import EarlyStoppingCallback

    trainer = trainer_of(run)
    assert any(isinstance(cb, EarlyStoppingCallback) for cb in trainer.callback_handler.callbacks)
    assert trainer.args.load_best_model_at_end and trainer.args.metric_for_best_model == "eval_loss"
    run.ok("EarlyStoppingCallback with load_best_model_at_end on eval_loss")


@applies("sklearn")
def _early_sklearn(run: Run) -> None:
    model = run.new("model")
    assert fitted(model) and model.n_iter_ < model.max_iter
    run.ok(f"stopped after {model.n_iter_} of {model.max_iter} iterations")
