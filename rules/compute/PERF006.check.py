"""What PERF006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch")
def _prune(run: Run) -> None:
    sparsity = run.new("zeros") / run.new("total")
    assert 0.29 <= sparsity <= 0.31, sparsity
    assert not any(n.endswith("_orig") for n, _ in run.context["model"].named_parameters()), "masks not removed"
    run.ok(f"global sparsity {sparsity:.1%}, masks baked in")
