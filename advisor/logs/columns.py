"""Which column of a log holds which metric.

Every reader maps its column names (or JSON keys, or TensorBoard tags) onto the
canonical metrics below. A name is normalised first (lower case; `/ - . space`
read as `_`), then looked up in the candidates, best first: Lightning logs both
`train_loss_step` and `train_loss_epoch`, and the per-step one is the curve.
A split written after the metric (`Loss/train`, `Accuracy/test`: the
torch.utils.tensorboard documentation's tags) is read as written before it, and
the Trainer's `eval_<metric>` as `val_<metric>`.

Per-layer gradient norms are one record key, LAYER_GRAD_NORM, whose value maps
the parameter's name to its norm: Lightning's `grad_norm()` utility logs
`grad_2.0_norm/<param>` (and the total as `grad_2.0_norm_total`), and
TensorBoard or hand-written logs use `grad_norm/<param>`.
"""

from __future__ import annotations

import re

METRICS = ("loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "lr", "gpu_util")
LAYER_GRAD_NORM = "layer_grad_norm"  # record key: {parameter name: gradient norm}
AXES = ("step", "epoch")

CANDIDATES: dict[str, tuple[str, ...]] = {
    # `_step` (W&B history) reads as `step`: normalise strips the underscore
    "step": ("step", "global_step", "steps", "iteration", "iter", "it", "batch", "train_global_step"),
    "epoch": ("epoch", "epochs", "train_epoch"),
    "loss": ("train_loss_step", "loss_step", "train_loss", "training_loss", "loss", "total_loss", "train_total_loss",
             "train_loss_epoch", "loss_epoch"),
    "val_loss": ("val_loss", "val_loss_epoch", "validation_loss", "valid_loss", "eval_loss", "val_loss_step",
                 "test_loss", "val_total_loss", "eval_total_loss"),
    "accuracy": ("train_acc_step", "train_accuracy_step", "accuracy", "acc", "train_accuracy", "train_acc",
                 "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                 "train_acc_epoch", "train_accuracy_epoch"),
    "val_accuracy": ("val_accuracy", "val_acc", "val_acc_epoch", "val_accuracy_epoch", "validation_accuracy",
                     "valid_accuracy", "eval_accuracy", "eval_acc", "val_binary_accuracy",
                     "val_categorical_accuracy", "val_sparse_categorical_accuracy", "test_accuracy", "test_acc"),
    "grad_norm": ("grad_norm", "gradient_norm", "grad_norm_total", "total_grad_norm", "grad_2_0_norm_total",
                  "train_grad_norm", "gradnorm"),
    "lr": ("lr", "learning_rate", "train_lr", "train_learning_rate"),
    "gpu_util": ("gpu_util", "gpu_utilization", "gpu_util_percent", "utilization_gpu", "gpu_utilisation",
                 "gpu_percent", "gpu"),
}
# Lightning's LearningRateMonitor writes `lr-Adam`, `lr-SGD`, ... (one optimizer: one column).
_LR_PREFIX = re.compile(r"^lr_[a-z0-9_]+$")
_NORMALISE = re.compile(r"[/\-. ]+")
# `loss_train` -> `train_loss`: the split named after the metric
_SPLIT_LAST = re.compile(r"^(.+)_(train|training|val|valid|validation|test|eval)$")
# `grad_2.0_norm/layer1.weight` (Lightning, any norm type) or `grad_norm/layer1.weight`: the raw name, not normalised
_LAYER_GRAD = re.compile(r"^(?:grad_(?:\d+(?:\.\d+)?|inf)_norm|grad_norm|gradient_norm)/(.+)$", re.IGNORECASE)

_RANK: dict[str, tuple[str, int]] = {name: (metric, rank) for metric, names in CANDIDATES.items()
                                     for rank, name in enumerate(names)}


def normalise(name: str) -> str:
    return _NORMALISE.sub("_", str(name).strip().lower()).strip("_")


def classify(name: str) -> tuple[str, int] | None:
    """(canonical metric, preference rank; lower is better) for a column name, or None."""
    key = normalise(name)
    found = _RANK.get(key)
    if found is None:
        split = _SPLIT_LAST.match(key)
        if split:
            found = _RANK.get(f"{split.group(2)}_{split.group(1)}")
    if found is None and key.startswith("eval_"):  # the Trainer's prefix of every evaluation metric
        found = _RANK.get("val_" + key[5:])
    if found is None and _LR_PREFIX.match(key):
        found = ("lr", len(CANDIDATES["lr"]))
    return found


def layer(name: str) -> str | None:
    """The parameter a per-layer gradient-norm column is about (`grad_2.0_norm/fc1.weight` -> `fc1.weight`), or None."""
    match = _LAYER_GRAD.match(str(name).strip())
    if match is None or normalise(match.group(1)) == "total":
        return None
    return match.group(1)


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
    """The canonical metric for a keyword of `Monitor.update` (`learning_rate` -> lr); InputError if none."""
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
