"""What GEN007's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("keras")
def _smaller_keras(run: Run) -> None:
    model, x_train = run.context["model"], run.context["x_train"]
    assert f"= {model.count_params() / len(x_train):,.0f} per sample" in run.output, run.output
    base = run.new("base")
    assert base.count_params() < 2e6, f"the replacement backbone has {base.count_params():,} parameters"
    run.ok(f"parameters per sample reported; a {base.count_params():,}-parameter pretrained backbone")
