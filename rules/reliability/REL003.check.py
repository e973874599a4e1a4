"""What REL003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import re

import numpy as np

from tests.snippets.checks import Run, applies, hf_predictions


def _scores(run: Run) -> list[float]:
    return [float(v) for v in re.findall(r"(?:accuracy|score) ([0-9.]+)", run.output)]


@applies("keras", "pytorch", "lightning", "sklearn", "huggingface")
def _stress(run: Run) -> None:
    numbers = _scores(run)
    assert len(numbers) >= 4 and all(0 <= v <= 1 for v in numbers), run.output[-300:]
    run.ok(f"scores at {len(numbers)} noise levels")


@applies("huggingface")
def _typos_hf(run: Run) -> None:
    y_true, logits = hf_predictions(run)
    clean = float((logits.argmax(-1) == y_true).mean())
    assert abs(_scores(run)[0] - clean) < 1e-4, f"rate 0 gave {_scores(run)[0]}, the clean split {clean}"
    rng = __import__("random").Random(0)
    texts = run.context["eval_dataset"]["text"][:20]
    assert all(run.new("typos")(t, 0.0, rng) == t for t in texts), "rate 0 must leave the text alone"
    assert any(run.new("typos")(t, 0.4, rng) != t for t in texts), "rate 0.4 changed no text"
    run.ok(f"rate 0 reproduces the clean accuracy {clean:.3f}; the typo model perturbs text")
