"""What EVAL006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, finite, fitted, torch_changed


def _coarse_to_fine(run: Run, lr: str, lr_low: float, lr_high: float) -> None:
    """The fine stage searched ×/÷3 around the coarse stage's best learning rate."""
    coarse = run.new("coarse")
    best = coarse.best_params[lr] if hasattr(coarse, "best_params") else coarse.hyperparameters[lr]
    assert lr_low <= best <= lr_high, best
    fine = run.new("fine")
    tried = ([t.params[lr] for t in fine.trials] if hasattr(fine, "trials")
             else [fine.hyperparameters[lr]])
    assert all(best / 3 * (1 - 1e-9) <= v <= best * 3 * (1 + 1e-9) for v in tried), (best, tried)
    run.ok(f"coarse best lr {best:.3g}; fine stage within ×/÷3 of it")


@applies("pytorch")
def _search_torch(run: Run) -> None:
    fine = run.new("fine")
    assert 0 <= fine.best_value <= 1 and {"lr", "weight_decay"} <= set(fine.best_params)
    assert not torch_changed(run), "the model should be back at its initial weights"
    _coarse_to_fine(run, "lr", 1e-5, 1e-1)


@applies("lightning")
def _search_lightning(run: Run) -> None:
    fine = run.new("fine")
    assert len(fine.trials) == run.new("N_FINE") and finite([t.value for t in fine.trials])
    assert {"lr", "weight_decay"} <= set(fine.best_params)
    assert not torch_changed(run), "each trial should train a copy, not your LightningModule"
    values = {round(t.value, 6) for t in run.new("coarse").trials}
    assert len(values) > 1, "every learning rate gave the same val loss: the trial's rate was not used"
    _coarse_to_fine(run, "lr", 1e-5, 1e-1)


@applies("keras")
def _search_keras(run: Run) -> None:
    fine = run.new("fine")
    assert len(fine.trials) == run.new("N_FINE") and 0 <= fine.best_value <= 1
    now = run.context["model"].get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(now, run.before["weights"])), "your model's weights changed"
    _coarse_to_fine(run, "lr", 1e-5, 1e-1)


@applies("huggingface")
def _search_hf(run: Run) -> None:
    fine = run.new("fine")
    assert finite(fine.objective) and {"learning_rate", "weight_decay", "warmup_steps"} <= set(fine.hyperparameters)
    assert not torch_changed(run), "each trial should reload the checkpoint, not train your model"
    _coarse_to_fine(run, "learning_rate", 1e-6, 1e-3)


@applies("sklearn")
def _search_sklearn(run: Run) -> None:
    search = run.new("search")
    assert fitted(search.best_estimator_) and 0 <= search.best_score_ <= 1
    run.ok(f"best CV score {search.best_score_:.3f}")
