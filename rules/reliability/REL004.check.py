"""What REL004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite, trained_keras


@applies("pytorch")
def _monitor_torch(run: Run) -> None:
    assert finite([run.new("train_loss"), run.new("val_loss"), run.new("gap")])
    run.ok("train/validation losses and their gap")


@applies("keras")
def _monitor_keras(run: Run) -> None:
    assert (run.cwd / "history.csv").is_file() and finite(run.new("gap"))
    trained_keras(run)
