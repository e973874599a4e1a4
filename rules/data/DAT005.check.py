"""What DAT005's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

In the test no dataset is downloaded: the rule's `snippets: replace:` swaps the public set for a local one
(the Hugging Face data folder, the validation split). The Lightning snippet imports torchvision and is
compile-only (its names are resolved against torchvision's API).
"""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, fitted, trained_keras


@applies("huggingface")
def _open_hf(run: Run) -> None:
    combined, public = run.new("combined"), run.new("public")
    assert len(combined) == len(public) + len(run.context["train_dataset"])
    run.ok(f"{len(public)} public examples added")


def _combined(run: Run, x_all, y_all, source, own: int, public: int) -> None:
    assert len(x_all) == len(y_all) == len(source) == own + public and public > 0
    assert (np.asarray(source) == 0).sum() == own, "each row must be tagged with its source"
    run.ok(f"{public} public rows added to your {own}, tagged by source")


@applies("keras")
def _open_keras(run: Run) -> None:
    model = trained_keras(run)
    _combined(run, run.new("x_all"), run.new("y_all"), run.new("source"), len(run.context["x_train"]),
              len(run.context["x_val"]))
    assert model is run.context["model"] and run.new("x_all").shape[1:] == run.context["x_train"].shape[1:]


@applies("sklearn")
def _open_sklearn(run: Run) -> None:
    assert fitted(run.new("model"))
    _combined(run, run.new("X_all"), run.new("y_all"), run.new("source"), len(run.context["X_train"]),
              len(run.context["X_val"]))
    weight = run.new("weight")
    assert weight[run.new("source") == 1].max() < weight[run.new("source") == 0].min(), "public rows must weigh less"
