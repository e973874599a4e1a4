"""What IMB010's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite


@applies("sklearn")
def _resampled_cv(run: Run) -> None:
    pipe, scores, scoring = run.new("pipe"), run.new("scores"), run.new("scoring")
    assert list(pipe.named_steps) == ["resample", "model"]  # resampling inside each training fold
    for name in scoring:
        values = scores["test_" + name]
        assert len(values) == 5 and finite(values) and ((0 <= values) & (values <= 1)).all(), (name, values)
    run.ok(f"5 folds scored on {', '.join(scoring)} with random over-sampling inside each training fold")
