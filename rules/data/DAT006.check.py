"""What DAT006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch", "sklearn")
def _integration(run: Run) -> None:
    if run.framework == "sklearn":
        assert len(run.new("scores")) == 3
        run.ok("scored per held-out source")
    else:
        assert len(run.new("combined")) == len(run.context["train_dataset"]) == len(run.new("source_of"))
        run.ok("sources combined and tagged")
