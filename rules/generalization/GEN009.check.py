"""What GEN009's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

Its Hugging Face check replaces the sanity-checks strategy's (`replaces=True`): it overfits a few
samples itself and judges that loss.
"""

from __future__ import annotations

from tests.snippets.checks import Run, applies, fitted, hf_trained, trainer_of


@applies("huggingface", replaces=True)
def _one_batch_hf(run: Run) -> None:
    hf_trained(run)
    trainer = trainer_of(run)
    assert len(trainer.train_dataset) <= 16 and trainer.args.weight_decay == 0.0
    assert all(m.p == 0 for m in run.context["model"].modules() if type(m).__name__ == "Dropout")
    losses = run.new("losses")
    assert losses[-1] < 0.2 * losses[0], f"one batch not overfitted: loss {losses[0]:.3g} -> {losses[-1]:.3g}"
    run.ok(f"one batch of {len(trainer.train_dataset)} overfitted: loss {losses[0]:.3g} -> {losses[-1]:.3g}")


@applies("sklearn")
def _small_subset_sklearn(run: Run) -> None:
    probe, X_small, y_small = run.new("probe"), run.new("X_small"), run.new("y_small")
    assert fitted(probe) and not fitted(run.context["model"]), "fit a copy, leave the user's estimator alone"
    assert len(X_small) == 32 and set(y_small) == set(range(run.classes)), "stratified: every class present"
    score = probe.score(X_small, y_small)
    assert score >= 0.95, f"the estimator did not memorise 32 samples: {score:.3f}"
    run.ok(f"a copy memorised 32 stratified samples: accuracy {score:.3f}")
