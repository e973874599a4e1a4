"""What DAT005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("huggingface")
def _open_hf(run: Run) -> None:
    combined, public = run.new("combined"), run.new("public")
    assert len(combined) == len(public) + len(run.context["train_dataset"])
    run.ok(f"{len(public)} public examples added")
