"""What EXPL007's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, baseline, fitted, forward

_baseline = applies("sklearn")(baseline)  # shared with other rules: tests/snippets/checks.py


def _predict(run: Run, features: np.ndarray) -> np.ndarray:
    """The network's classes for tabular feature rows, computed apart from the snippet."""
    import torch

    if run.framework == "keras":
        return run.context["model"].predict(features, verbose=0).argmax(axis=1)
    model = run.context["lit_model" if run.framework == "lightning" else "model"]
    return forward(model, torch.from_numpy(np.asarray(features, dtype=np.float32))).argmax(dim=1).numpy()


@applies("pytorch", "lightning", "keras")
def _surrogate(run: Run) -> None:
    from sklearn.base import clone

    simple, surrogate = run.new("simple"), run.new("surrogate")
    assert fitted(simple) and fitted(surrogate)
    assert simple.get_depth() <= 4 and surrogate.get_depth() <= 4, "the readable trees must stay shallow"
    X_tr, X_va = run.new("X_tr"), run.new("X_va")
    # the surrogate learnt the network's own predictions, row by row
    assert np.array_equal(_predict(run, X_tr), run.new("net_tr")), "training predictions paired with the wrong rows"
    refit = clone(surrogate).fit(X_tr, _predict(run, X_tr))
    assert np.array_equal(refit.predict(X_va), surrogate.predict(X_va)), "the surrogate was not fitted to the network"
    fidelity = float((surrogate.predict(X_va) == _predict(run, X_va)).mean())
    assert abs(fidelity - float(run.new("fidelity"))) < 1e-9, (run.new("fidelity"), fidelity)
    assert f"{fidelity:.3f}" in run.output
    run.ok(f"surrogate distilled from the network's predictions; fidelity {fidelity:.3f} recomputed")
