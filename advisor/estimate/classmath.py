"""Class-imbalance arithmetic: loss weights, sampler weights, resampling targets, focal-loss alpha.

Works for two classes and for several (`--class-counts 900,80,20`). Formulas:

* balanced class weight w_c = n / (k · n_c) — scikit-learn's
  `compute_class_weight("balanced")`, King & Zeng 2001; the weighted loss then
  gives every class the same total weight n/k.
* `pos_weight` = negatives / positives per class — PyTorch `BCEWithLogitsLoss`
  docs (for one-vs-rest / multi-label heads, one value per class).
* sampler weight of a sample of class c = 1 / n_c — PyTorch
  `WeightedRandomSampler`; each class is then drawn n/k times per epoch of n.
* random over-sampling lifts every class to the largest count, under-sampling
  cuts every class to the smallest (imbalanced-learn's default targets).
* focal-loss alpha_c ∝ 1 / n_c, normalised to sum 1 (Lin et al. 2017 weight
  the rare class; for two classes alpha = n_neg / n).
* effective-number weights (1 − β) / (1 − β^n_c), normalised to sum k
  (Cui et al. 2019, "Class-balanced loss based on effective number of samples").
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.setup import units


def _check(counts) -> tuple[float, ...]:
    """Class sizes: sample counts, or relative sizes (1, 20) where only the ratio is known."""
    counts = tuple(counts)
    if len(counts) < 2 or not all(isinstance(c, (int, float)) and math.isfinite(c) and c > 0 for c in counts):
        raise ValueError("class counts need at least two classes, each with more than 0 samples")
    return counts


def geometric_minority_share(imbalance: float, k: int) -> float:
    """Share of the smallest of `k` classes whose sizes spread geometrically from 1 to `imbalance`.

    The closed form of 1 / Σ_{i<k} r^(i/(k-1)), so ten million classes cost what two do.
    """
    x = math.log(imbalance) / (k - 1)
    return 1 / (k if x == 0 else math.expm1(k * x) / math.expm1(x))


def balanced_weights(counts) -> list[float]:
    counts = _check(counts)
    n, k = sum(counts), len(counts)
    return [n / (k * c) for c in counts]


def pos_weights(counts) -> list[float]:
    counts = _check(counts)
    n = sum(counts)
    return [(n - c) / c for c in counts]


def sampler_weights(counts) -> list[float]:
    """Weight of one sample of each class for WeightedRandomSampler."""
    return [1 / c for c in _check(counts)]


def focal_alphas(counts) -> list[float]:
    inverse = sampler_weights(counts)
    total = sum(inverse)
    return [x / total for x in inverse]


def effective_number_weights(counts, beta: float = 0.999) -> list[float]:
    counts = _check(counts)
    if not 0 <= beta < 1:
        raise ValueError("beta must lie in [0, 1)")
    raw = [(1 - beta) / (1 - beta**c) for c in counts]
    scale = len(counts) / sum(raw)
    return [w * scale for w in raw]


def oversample_targets(counts) -> list[int]:
    counts = _check(counts)
    return [max(counts)] * len(counts)


def undersample_targets(counts) -> list[int]:
    counts = _check(counts)
    return [min(counts)] * len(counts)


def counts_from_ratio(ratio: units.Ratio, total: int) -> tuple[int, int]:
    """(minority, majority) whole sample counts of `total` samples split by `ratio`."""
    small = min(total - 1, max(1, round(total * ratio.minority_share)))
    return small, total - small


class Summary(NamedTuple):
    """What `advisor imbalance` shows. `counts` is None when only the ratio is known: the weights then
    come from the ratio itself, and what needs sample counts (effective-number weights, resampling
    targets) is left out and said so in `assumptions`."""

    order: str                      # how the per-class lists are ordered
    imbalance_ratio: float
    counts: tuple[int, ...] | None
    balanced: list[float]
    pos_weight: list[float]
    sampler: list[float]
    focal_alpha: list[float]
    effective: list[float] | None
    oversample: list[int] | None
    undersample: list[int] | None
    assumptions: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"order": self.order, "counts": None if self.counts is None else list(self.counts),
                "imbalance_ratio": self.imbalance_ratio,
                "balanced_class_weights": self.balanced, "pos_weight": self.pos_weight,
                "sampler_weights": self.sampler, "focal_alpha": self.focal_alpha,
                "effective_number_weights": self.effective, "oversample_to": self.oversample,
                "undersample_to": self.undersample, "assumptions": list(self.assumptions)}


def _weights(sizes) -> tuple[list[float], list[float], list[float], list[float]]:
    return balanced_weights(sizes), pos_weights(sizes), sampler_weights(sizes), focal_alphas(sizes)


def summarize(counts, *, order: str = "in the order given") -> Summary:
    counts = tuple(int(c) for c in _check(counts))
    return Summary(order, max(counts) / min(counts), counts, *_weights(counts), effective_number_weights(counts),
                   oversample_targets(counts), undersample_targets(counts))


def summarize_ratio(ratio: units.Ratio, total: int | None = None) -> Summary:
    """The summary for a class ratio: weights exact from the ratio, counts only from a given total."""
    order = "minority, majority"
    sizes = (ratio.minority, ratio.majority)
    if total is None or total < 2:
        notes = ("no sample counts: weights computed from the ratio alone (sampler weights are relative); "
                 "give --dataset-size or --class-counts for effective-number weights and resampling targets",)
        return Summary(order, ratio.imbalance, None, *_weights(sizes), None, None, None, notes)
    counts = counts_from_ratio(ratio, total)
    counted = summarize(counts)
    notes = (f"counts split from --dataset-size {total:,} by the ratio {ratio}, rounded to whole samples; "
             "the weights use the exact ratio",)
    return Summary(order, ratio.imbalance, counts, *_weights(sizes), counted.effective, counted.oversample,
                   counted.undersample, notes)


def format_list(values, spec: str = ".4g") -> str:
    """`[1.2, 13.5]` as code wants it, for templates."""
    return "[" + ", ".join(format(v, spec) for v in values) + "]"
