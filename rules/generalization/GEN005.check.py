"""What GEN005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, fitted, torch_equal


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
