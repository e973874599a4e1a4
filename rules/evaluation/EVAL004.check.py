"""What EVAL004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies


@applies("huggingface", "pytorch", "lightning", "keras", "sklearn")
def _confusion(run: Run) -> None:
    cm = np.asarray(run.new("cm"))
    rows = cm.sum(axis=1)
    assert np.allclose(rows[rows > 0], 1), f"rows should sum to 1: {rows}"
    run.ok(f"row-normalised {cm.shape[0]}x{cm.shape[1]} confusion matrix")
