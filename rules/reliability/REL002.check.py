"""What REL002's snippets must have done beyond the shared error count (tests/test_snippets.py; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies


@applies("sklearn")
def _confusion_sklearn(run: Run) -> None:
    matrix = np.asarray(run.new("matrix"))
    y_val = np.asarray(run.context["y_val"])
    assert matrix.shape == (run.classes, run.classes) and matrix.sum() == len(y_val), matrix.shape
    assert (matrix.sum(axis=1) == np.bincount(y_val, minlength=run.classes)).all(), "rows are not the true classes"
    assert matrix.sum() - np.trace(matrix) == len(run.new("errors")), "off-diagonal cells and errors disagree"
    run.ok(f"{run.classes}x{run.classes} confusion matrix: rows are the true classes, off-diagonal = the errors")
