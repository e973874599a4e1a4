"""What STB012's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite, trained_keras


@applies("lightning", "pytorch")
def _pipeline_torch(run: Run) -> None:
    assert "NaN/Inf" not in run.output and "outside" not in run.output
    assert finite(run.new("loss")) if run.framework == "pytorch" else run.new("trainer").global_step > 0
    run.ok("clean data passes every check; anomaly detection finds nothing")


@applies("keras")
def _pipeline_keras(run: Run) -> None:
    assert "non-finite values: inputs 0 labels 0" in run.output
    trained_keras(run)
