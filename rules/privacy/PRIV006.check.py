"""What PRIV006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch")
def _dp(run: Run) -> None:
    epsilon = run.new("privacy_engine").get_epsilon(run.new("TARGET_DELTA"))
    assert 0 < epsilon <= 8.5, epsilon
    run.ok(f"DP-SGD spent epsilon {epsilon:.2f} of the 8.0 budget")
