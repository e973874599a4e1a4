"""Which column of a log holds which metric.

Every reader maps its column names (or JSON keys, or TensorBoard tags) onto the
canonical metrics below. A name is normalised first (lower case; `/ - . space`
read as `_`), then looked up in the candidates, best first: Lightning logs both
`train_loss_step` and `train_loss_epoch`, and the per-step one is the curve.
"""

from __future__ import annotations

import re

METRICS = ("loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "learning_rate", "gpu_util")
AXES = ("step", "epoch")

CANDIDATES: dict[str, tuple[str, ...]] = {
    "step": ("step", "global_step", "steps", "iteration", "iter", "it", "batch"),
    "epoch": ("epoch", "epochs"),
    "loss": ("train_loss_step", "loss_step", "train_loss", "training_loss", "loss", "train_loss_epoch",
             "loss_epoch"),
    "val_loss": ("val_loss", "val_loss_epoch", "validation_loss", "valid_loss", "eval_loss", "val_loss_step"),
    "accuracy": ("train_acc_step", "train_accuracy_step", "accuracy", "acc", "train_accuracy", "train_acc",
                 "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                 "train_acc_epoch", "train_accuracy_epoch"),
    "val_accuracy": ("val_accuracy", "val_acc", "val_acc_epoch", "val_accuracy_epoch", "validation_accuracy",
                     "valid_accuracy", "eval_accuracy", "eval_acc", "val_binary_accuracy",
                     "val_categorical_accuracy", "val_sparse_categorical_accuracy"),
    "grad_norm": ("grad_norm", "gradient_norm", "grad_norm_total", "total_grad_norm", "grad_2_0_norm_total",
                  "train_grad_norm", "gradnorm"),
    "learning_rate": ("learning_rate", "lr", "train_lr", "train_learning_rate"),
    "gpu_util": ("gpu_util", "gpu_utilization", "gpu_util_percent", "utilization_gpu", "gpu_utilisation",
                 "gpu_percent", "gpu"),
}
# Lightning's LearningRateMonitor writes `lr-Adam`, `lr-SGD`, ... (one optimizer: one column).
_LR_PREFIX = re.compile(r"^lr_[a-z0-9_]+$")
_NORMALISE = re.compile(r"[/\-. ]+")

_RANK: dict[str, tuple[str, int]] = {name: (metric, rank) for metric, names in CANDIDATES.items()
                                     for rank, name in enumerate(names)}


def normalise(name: str) -> str:
    return _NORMALISE.sub("_", str(name).strip().lower()).strip("_")


def classify(name: str) -> tuple[str, int] | None:
    """(canonical metric, preference rank; lower is better) for a column name, or None."""
    key = normalise(name)
    found = _RANK.get(key)
    if found is None and _LR_PREFIX.match(key):
        found = ("learning_rate", len(CANDIDATES["learning_rate"]))
    return found


def choose(names: list[str]) -> dict[str, int]:
    """canonical metric -> index of the best column for it among `names`."""
    best: dict[str, tuple[int, int]] = {}
    for index, name in enumerate(names):
        found = classify(name)
        if found and (found[0] not in best or found[1] < best[found[0]][0]):
            best[found[0]] = (found[1], index)
    return {metric: index for metric, (_, index) in best.items()}


def known_names() -> str:
    return ", ".join(AXES + METRICS)


_CANONICAL_CACHE: dict[str, str] = {}


def canonical_metric(name: str) -> str:
    """The canonical metric for a keyword of `Monitor.update` (`lr` -> learning_rate); InputError if none."""
    found = _CANONICAL_CACHE.get(name)
    if found is None:
        if name in METRICS:
            found = name
        else:
            match = classify(name)
            if match is None or match[0] not in METRICS:
                from advisor.errors import InputError
                from advisor.setup.units import nearest

                raise InputError(name, f"not a metric the monitor knows{nearest(name, METRICS)} "
                                       f"(known: {', '.join(METRICS)})")
            found = match[0]
        _CANONICAL_CACHE[name] = found
    return found
