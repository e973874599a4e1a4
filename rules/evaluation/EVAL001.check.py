"""What EVAL001's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies


@applies("huggingface")
def _metrics_hf(run: Run) -> None:
    metrics = run.new("compute_metrics")
    logits = np.random.default_rng(0).normal(size=(20, run.classes))
    labels = np.arange(20) % run.classes
    values = metrics((logits, labels))
    assert {"balanced_accuracy", "macro_f1"} <= set(values) and all(0 <= v <= 1 for v in values.values())
    run.ok(f"compute_metrics gives {sorted(values)}")


@applies("pytorch", "lightning", "keras", "sklearn")
def _metrics_printed(run: Run) -> None:
    assert "balanced accuracy" in run.output and "macro F1" in run.output, run.output[-500:]
    if run.classes == 2:
        assert "PR-AUC" in run.output
    run.ok("printed balanced accuracy, macro F1" + (", PR-AUC" if run.classes == 2 else ""))
