"""What GEN004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, trained_keras


@applies("huggingface", "pytorch", "lightning")
def _dropout_torch(run: Run) -> None:
    rates = [m.p for m in run.context["model"].modules() if type(m).__name__ == "Dropout"]
    assert rates and all(p == 0.3 for p in rates), rates
    run.ok(f"{len(rates)} dropout layer(s) at p=0.3")


@applies("keras")
def _dropout_keras(run: Run) -> None:
    model = trained_keras(run)
    assert [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"] == [0.3]
    run.ok("Dropout(0.3) before the classifier")
