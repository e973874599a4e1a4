"""What GEN005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, finite, fitted, history_losses, torch_equal


@applies("pytorch", "lightning")
def _ensemble_torch(run: Run) -> None:
    members = run.new("members")
    assert len(members) == 3
    first = [p.detach() for p in members[0].parameters()]
    assert not all(torch_equal(a, b) for a, b in zip(members[1].parameters(), first)), "members must differ"
    assert 0 <= run.new("correct") / run.new("total") <= 1
    run.ok("3 differently initialised members averaged")


@applies("sklearn")
def _ensemble_sklearn(run: Run) -> None:
    ensemble = run.new("ensemble")
    assert fitted(ensemble) and len(ensemble.estimators_) == 3
    proba = ensemble.predict_proba(run.context["X_val"])
    assert np.allclose(proba.sum(axis=1), 1)
    run.ok("soft-voting ensemble of 3 fitted models")


@applies("keras")
def _ensemble_keras(run: Run) -> None:
    import keras

    members = run.new("members")
    assert len(members) == 3 and all(m is not run.context["model"] for m in members)
    assert all(history_losses(m) and finite(history_losses(m)) for m in members), "every member must be trained"
    first = [keras.ops.convert_to_numpy(w) for w in members[0].weights]
    assert not all(np.allclose(keras.ops.convert_to_numpy(w), f) for w, f in zip(members[1].weights, first))
    assert np.allclose(run.new("probs").sum(axis=1), 1, atol=1e-5) and 0 <= run.new("accuracy") <= 1
    run.ok("3 trained, differently initialised Keras members; averaged probabilities")


@applies("huggingface")
def _ensemble_hf(run: Run) -> None:
    members = run.new("members")
    assert len(members) == 3 and all(t.state.global_step > 0 for t in members), "every member must be trained"
    heads = [next(p for n, p in t.model.named_parameters() if "classifier" in n).detach() for t in members]
    assert not torch_equal(heads[0], heads[1]), "members must differ"
    assert all(t.model is not run.context["model"] for t in members), "each member is a fresh copy"
    probs = run.new("probs")
    assert probs.shape == (len(run.context["eval_dataset"]), run.classes) and np.allclose(probs.sum(axis=1), 1)
    run.ok("3 trained members from the checkpoint with different seeds; averaged probabilities")
