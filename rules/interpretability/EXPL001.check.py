"""What EXPL001's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

Each snippet runs again on a planted problem: the label is the sign of feature 0 and the network reads
only feature 0, so that feature must rank first and every other one must cost nothing (the scikit-learn
estimator is fitted on the planted data, so the others may cost a little)."""

from __future__ import annotations

import numpy as np

from tests.snippets import contexts
from tests.snippets.checks import Run, applies, trained_lightning

PLANTED = 0  # the one feature that decides the label


def _planted_data(rows: int = 96) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(rows, contexts.FEATURES)).astype(np.float32)
    return x, (x[:, PLANTED] < 0).astype(np.int64)  # class 0 where the feature is positive, else class 1


def _planted_net(classes: int):
    import torch

    net = torch.nn.Linear(contexts.FEATURES, classes)
    with torch.no_grad():
        net.weight.zero_()
        net.bias.zero_()
        net.bias[2:] = -100.0  # classes beyond 0 and 1 never win
        net.weight[0, PLANTED], net.weight[1, PLANTED] = 5.0, -5.0
    return net


def _torch_loader():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    x, y = _planted_data()
    return DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=32)


def _ranked_planted_first(run: Run, importance: list[tuple[float, int]], noise: float = 1e-6) -> None:
    """`noise`: what an ignored feature may cost; a fitted model reads a little of every feature."""
    ranked = sorted(importance, reverse=True)
    assert len(ranked) == contexts.FEATURES, f"{len(ranked)} features ranked, the data have {contexts.FEATURES}"
    (top, j), rest = ranked[0], [abs(d) for d, _ in ranked[1:]]
    assert j == PLANTED and top > 0.3, f"the planted feature {PLANTED} should rank first: {ranked[:3]}"
    assert max(rest) <= noise * top, f"features the model ignores cost accuracy: {ranked}"
    run.ok(f"planted feature ranked first (drop {top:.2f}), ignored features cost {max(rest):.3f}")


@applies("pytorch")
def _permutation_torch(run: Run) -> None:
    assert len(run.new("importance")) == run.new("flat").shape[1]
    again = run.rerun({**run.context, "model": _planted_net(run.classes), "val_loader": _torch_loader()})
    _ranked_planted_first(run, again["importance"])


@applies("lightning")
def _permutation_lightning(run: Run) -> None:
    assert run.new("importance") in run.new("trainer").callbacks, "the callback is not in the Trainer's callbacks"
    trained_lightning(run)
    net = _planted_net(run.classes)
    lit = type(run.context["lit_model"])(net, lr=0.0)  # fit leaves the planted weights as they are
    loader = _torch_loader()
    again = run.rerun({**run.context, "model": net, "lit_model": lit, "train_loader": loader, "val_loader": loader})
    _ranked_planted_first(run, again["importance"].importance)


@applies("keras")
def _permutation_keras(run: Run) -> None:
    import keras

    net = keras.Sequential([keras.Input(shape=(contexts.FEATURES,)), keras.layers.Dense(run.classes)])
    weights = np.zeros((contexts.FEATURES, run.classes), dtype="float32")
    bias = np.full(run.classes, -100.0, dtype="float32")
    bias[:2] = 0.0
    weights[PLANTED, 0], weights[PLANTED, 1] = 5.0, -5.0
    net.set_weights([weights, bias])
    x, y = _planted_data()
    again = run.rerun({**run.context, "model": net, "x_val": x, "y_val": y})
    _ranked_planted_first(run, again["importance"])


@applies("sklearn")
def _permutation_sklearn(run: Run) -> None:
    from sklearn.base import clone

    x, y = _planted_data(192)
    half = len(x) // 2
    again = run.rerun({**run.context, "model": clone(run.context["model"]), "X_train": x[:half],
                       "y_train": y[:half], "X_val": x[half:], "y_val": y[half:]})
    means = again["result"].importances_mean
    _ranked_planted_first(run, [(float(m), j) for j, m in enumerate(means)], noise=0.2)
