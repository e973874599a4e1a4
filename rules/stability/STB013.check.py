"""What STB013's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

PyTorch, Lightning and Keras are checked by the sanity-checks strategy's checks
(tests/snippets/checks.py): one batch overfitted.
Its Hugging Face check replaces the strategy's (`replaces=True`).
"""

from __future__ import annotations

import math

import numpy as np

from tests.snippets.checks import Run, applies, close, finite, torch_changed


def _informative(run: Run) -> dict:
    """A fresh context whose rows are distinct random token ids: a batch any working model can memorise
    (the standard context's text may tokenise to few distinct rows)."""
    from tests.snippets import contexts

    context = contexts.build(contexts.shape_for("huggingface", run.facts))
    vocab = context["model"].get_input_embeddings().num_embeddings
    rng = np.random.default_rng(0)
    width = len(context["train_dataset"][0]["input_ids"])
    context["train_dataset"] = context["train_dataset"].map(
        lambda row: {"input_ids": [2, *rng.integers(5, vocab, width - 2).tolist(), 3], "attention_mask": [1] * width})
    return context


@applies("huggingface", replaces=True)
def _sanity_hf(run: Run) -> None:
    k = run.context["model"].config.num_labels
    start, final = run.new("init_loss"), float(run.new("loss"))
    assert finite(start) and 0.5 * math.log(k) < start < 2 * math.log(k), (start, math.log(k))
    assert final < start, f"training on one batch did not lower the loss: {start:.3f} -> {final:.3f}"
    assert f"ln({k})" in run.output and "trainable parameters:" in run.output
    assert not torch_changed(run), "the probe must train a copy, not the user's model"
    again = run.rerun(_informative(run))
    memorised = float(again["loss"])
    assert memorised < 0.5 * again["init_loss"], f"a memorisable batch not overfitted: {again['init_loss']:.3f} -> {memorised:.3f}"
    run.ok(f"loss at init {start:.3f} against ln({k}); a memorisable batch overfitted "
           f"{again['init_loss']:.3f} -> {memorised:.3g}; the model untouched")


@applies("sklearn")
def _sanity_sklearn(run: Run) -> None:
    from sklearn.metrics import log_loss

    y_train, y_val = run.context["y_train"], run.context["y_val"]
    shares = np.bincount(y_train, minlength=run.classes) / len(y_train)
    expected = log_loss(y_val, np.tile(shares, (len(y_val), 1)), labels=np.arange(run.classes))
    assert close(run.new("prior_loss"), expected, rel=1e-6), (run.new("prior_loss"), expected)
    assert run.new("model_loss") < run.new("prior_loss"), "on separable data the model must beat the prior"
    assert run.new("shuffled_loss") > run.new("model_loss"), "shuffled labels must cost the model its edge"
    run.ok(f"prior log loss {expected:.3f} (independently computed); model {run.new('model_loss'):.3f}; "
           f"shuffled labels {run.new('shuffled_loss'):.3f}")
