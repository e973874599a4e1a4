"""What REL006's snippets must have done beyond the shared seed checks (tests/test_snippets.py; rules/README.md)."""

from __future__ import annotations

import math

from tests.snippets.checks import Run, applies, finite, torch_changed


@applies("huggingface")
def _seeds_hf(run: Run) -> None:
    results = run.new("results")
    assert len(results) == 3 and finite(results), results
    assert len(set(results)) > 1, "three seeds gave the same loss: the seed changed nothing"
    again = run.new("eval_loss")(0)
    assert math.isclose(again, results[0], rel_tol=1e-5), f"seed 0 is not reproducible: {again} vs {results[0]}"
    assert not torch_changed(run), "each seed should train its own copy, not your model"
    run.ok(f"3 seeds spread {min(results):.4f}..{max(results):.4f}; seed 0 repeats exactly")
