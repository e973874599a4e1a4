"""What EVAL005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("huggingface", "pytorch", "lightning", "sklearn")
def _curves(run: Run) -> None:
    png = run.cwd / "pr_roc_curves.png"
    assert png.is_file() and png.stat().st_size > 1000
    run.ok("PR and ROC curves saved")
