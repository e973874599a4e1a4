"""What DAT002's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

Each snippet is run again on a training split polluted with 3 repeated training samples and 2 validation
samples: the cleaned split must lose exactly those. The pytorch and sklearn snippets are checked by the
data-cleaning checks in tests/snippets/checks.py.
"""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, trained_keras, trained_lightning

REPEATED, LEAKED = 3, 2


def _kept(train_keys: list, val_keys: list) -> int:
    """How many training samples survive: the first of each distinct one that validation does not hold."""
    return len(set(train_keys) - set(val_keys))


@applies("lightning")
def _dedup_lightning(run: Run) -> None:
    import torch
    from torch.utils.data import TensorDataset

    trained_lightning(run)
    train = run.context["train_dataset"]
    x, y = train.tensors
    val_x, val_y = map(torch.cat, zip(*run.context["val_loader"]))
    key = lambda t: t.numpy().tobytes()  # noqa: E731
    assert len(run.new("data").train) == _kept([key(r) for r in x], [key(r) for r in val_x])
    polluted = TensorDataset(torch.cat([x, x[:REPEATED], val_x[:LEAKED]]), torch.cat([y, y[:REPEATED], val_y[:LEAKED]]))
    again = run.rerun({**run.context, "train_dataset": polluted})
    assert len(again["data"].train) == len(run.new("data").train), \
        f"{len(polluted)} polluted samples cleaned to {len(again['data'].train)}, want {len(run.new('data').train)}"
    run.ok(f"{REPEATED} repeated and {LEAKED} leaked samples dropped from the training split; the module trained on it")


@applies("huggingface")
def _dedup_hf(run: Run) -> None:
    from datasets import concatenate_datasets

    train, evaluation = run.context["train_dataset"], run.context["eval_dataset"]
    norm = lambda t: " ".join(t.split()).lower()  # noqa: E731
    expected = _kept([norm(t) for t in train["text"]], [norm(t) for t in evaluation["text"]])
    assert len(run.new("clean_train")) == expected
    leaked = evaluation.select(range(LEAKED)).map(lambda r: {"text": "  " + r["text"].upper()})  # case and spaces differ
    polluted = concatenate_datasets([train, train.select(range(REPEATED)), leaked.cast(train.features)])
    again = run.rerun({**run.context, "train_dataset": polluted})
    assert len(again["clean_train"]) == expected, (len(polluted), len(again["clean_train"]), expected)
    assert set(again["clean_train"]["text"]) <= set(train["text"])
    run.ok(f"{REPEATED} repeated and {LEAKED} leaked texts (other case and spacing) dropped")


@applies("keras")
def _dedup_keras(run: Run) -> None:
    trained_keras(run)
    x, y, x_val, y_val = (run.context[k] for k in ("x_train", "y_train", "x_val", "y_val"))
    key = lambda a: [r.tobytes() for r in np.ascontiguousarray(a.reshape(len(a), -1))]  # noqa: E731
    expected = _kept(key(x), key(x_val))
    assert len(run.new("x_clean")) == len(run.new("y_clean")) == expected
    polluted = {**run.context, "x_train": np.concatenate([x, x[:REPEATED], x_val[:LEAKED]]),
                "y_train": np.concatenate([y, y[:REPEATED], y_val[:LEAKED]])}
    again = run.rerun(polluted)
    assert len(again["x_clean"]) == expected, (len(polluted["x_train"]), len(again["x_clean"]), expected)
    run.ok(f"{REPEATED} repeated and {LEAKED} leaked rows dropped before refitting")
