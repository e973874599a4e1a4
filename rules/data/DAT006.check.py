"""What DAT006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, close, finite, hf_trained, torch_changed, trained_keras, trained_lightning


@applies("pytorch", "sklearn")
def _integration(run: Run) -> None:
    if run.framework == "sklearn":
        assert len(run.new("scores")) == 3
        run.ok("scored per held-out source")
    else:
        assert len(run.new("combined")) == len(run.context["train_dataset"]) == len(run.new("source_of"))
        run.ok("sources combined and tagged")


@applies("lightning")
def _leave_one_source_out_lightning(run: Run) -> None:
    import torch

    trainer = trained_lightning(run)
    scores = run.new("scores")
    assert len(scores) == len(run.new("sources")) == 2 and finite(scores)
    assert len(run.new("combined")) == len(run.context["train_dataset"]) == len(run.new("source_of"))
    assert not torch_changed(run), "each fold must train a copy, not your module"
    # the last score is the loss of the last fold's model on the source it never saw
    fold, held = run.new("fold_model").eval(), run.new("sources")[-1]
    xs, ys = map(torch.stack, zip(*[held[i] for i in range(len(held))]))
    with torch.no_grad():
        loss = float(torch.nn.functional.cross_entropy(fold(xs), ys))
    assert close(scores[-1], loss, rel=1e-4), (scores[-1], loss)
    assert trainer.lightning_module is fold
    run.ok("one copy trained per held-out source; its loss measured on the source it never saw")


@applies("huggingface")
def _leave_one_source_out_hf(run: Run) -> None:
    hf_trained(run)
    combined, scores = run.new("combined"), run.new("scores")
    assert len(combined) == len(run.context["train_dataset"]) and sorted(set(combined["source"])) == [0, 1]
    assert set(scores) == {0, 1} and all(0 <= v <= 1 for v in scores.values())
    trainer = run.new("trainer")
    assert trainer.model is not run.context["model"], "each fold must fine-tune a fresh copy"
    assert set(trainer.train_dataset["source"]) == {0} and set(trainer.eval_dataset["source"]) == {1}
    run.ok("a fresh model fine-tuned per held-out source, accuracy measured on the unseen one")


@applies("keras")
def _leave_one_source_out_keras(run: Run) -> None:
    trained_keras(run)
    scores, source = run.new("scores"), run.new("source")
    assert len(scores) == len(np.unique(source)) == 3 and all(0 <= s <= 1 for s in scores)
    user = run.context["model"]
    assert all(np.array_equal(a, b) for a, b in zip(user.get_weights(), run.before["weights"])), \
        "each fold must train a clone, not your model"
    held = source == np.unique(source)[-1]
    predicted = run.new("copy").predict(run.context["x_train"][held], verbose=0).argmax(axis=1)
    assert close(scores[-1], (predicted == run.context["y_train"][held]).mean(), rel=1e-5)
    run.ok("one clone per held-out source; its accuracy measured on the source it never saw")
