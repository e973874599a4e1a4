"""What DAT001's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

The pytorch and sklearn snippets are checked by the data-cleaning checks in tests/snippets/checks.py.
"""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, finite, forward, torch_changed, torch_equal, trained_keras


def _ranked_worst_first(run: Run, expected_losses) -> None:
    """`losses` are the per-sample losses computed here apart from the snippet; `worst` ranks them, worst first."""
    losses, worst = np.asarray(run.new("losses"), dtype=float), np.asarray(run.new("worst"))
    expected = np.asarray(expected_losses, dtype=float)
    assert losses.shape == expected.shape and finite(losses), (losses.shape, expected.shape)
    assert np.allclose(losses, expected, rtol=1e-4, atol=1e-5), "per-sample losses differ from the model's own"
    assert len(worst) == min(50, len(losses)) and np.all(np.diff(losses[worst]) <= 1e-6), "not ranked worst first"
    assert losses[worst[0]] == losses.max()
    run.ok(f"{len(losses)} per-sample losses match the model's; the {len(worst)} worst ranked first")


@applies("lightning")
def _losses_lightning(run: Run) -> None:
    import torch
    import torch.nn.functional as F

    inputs = torch.stack([x for x, _ in run.context["train_dataset"]])
    targets = torch.as_tensor([int(y) for _, y in run.context["train_dataset"]])
    _ranked_worst_first(run, F.cross_entropy(forward(run.context["model"], inputs), targets, reduction="none"))
    assert not torch_changed(run), "auditing the labels must not train the model"


@applies("huggingface")
def _losses_hf(run: Run) -> None:
    import torch
    import torch.nn.functional as F

    data, model = run.context["train_dataset"], run.context["model"].eval()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(data["input_ids"]), attention_mask=torch.tensor(data["attention_mask"]),
                       token_type_ids=torch.tensor(data["token_type_ids"])).logits
    _ranked_worst_first(run, F.cross_entropy(logits, torch.tensor(data["label"]), reduction="none"))
    assert all(torch_equal(p, run.before["weights"][n]) for n, p in model.named_parameters())


@applies("keras")
def _confident_learning_keras(run: Run) -> None:
    trained_keras(run)  # the fold copies were fitted
    probs, labels, issues = run.new("probs"), run.context["y_train"], run.new("issues")
    assert probs.shape == (len(labels), run.classes) and np.allclose(probs.sum(axis=1), 1, atol=1e-4)
    user = run.context["model"]
    assert all(np.array_equal(a, b) for a, b in zip(user.get_weights(), run.before["weights"])), \
        "the out-of-fold audit must not train the user's model"
    # confident learning (Northcutt et al. 2021), computed here from the snippet's out-of-fold probabilities
    thresholds = np.array([probs[labels == k, k].mean() for k in range(run.classes)])
    expected = set()
    for i, row in enumerate(probs):
        candidates = [k for k in range(run.classes) if row[k] >= thresholds[k]]
        if candidates and max(candidates, key=lambda k: row[k]) != labels[i]:
            expected.add(i)
    assert set(issues.tolist()) == expected, (sorted(issues.tolist()), sorted(expected))
    given = probs[issues, labels[issues]]
    assert np.all(np.diff(given) >= 0), "suspects not ranked by the probability of their given label"
    run.ok(f"{len(issues)} suspected label errors from out-of-fold probabilities, as confident learning finds them")
