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

from dataclasses import dataclass


def setup_counts(setup: dict) -> list[int]:
    """A normalised setup's `class_counts` ("900,80,20", as fields.py stores it) as integers."""
    return [int(c) for c in setup["class_counts"].split(",")]


def _check(counts: list[int] | tuple[int, ...]) -> tuple[int, ...]:
    counts = tuple(int(c) for c in counts)
    if len(counts) < 2 or min(counts) < 1:
        raise ValueError("class counts need at least two classes, each with at least one sample")
    return counts


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


def counts_from_ratio(minority: float, majority: float, total: int) -> tuple[int, int]:
    """(majority, minority) sample counts of `total` samples split minority:majority."""
    small = max(1, round(total * minority / (minority + majority)))
    return total - small, small


@dataclass(frozen=True)
class Summary:
    counts: tuple[int, ...]
    balanced: list[float]
    pos_weight: list[float]
    sampler: list[float]
    focal_alpha: list[float]
    effective: list[float]
    oversample: list[int]
    undersample: list[int]

    @property
    def imbalance_ratio(self) -> float:
        return max(self.counts) / min(self.counts)

    def as_dict(self) -> dict:
        return {"counts": list(self.counts), "imbalance_ratio": self.imbalance_ratio,
                "balanced_class_weights": self.balanced, "pos_weight": self.pos_weight,
                "sampler_weights": self.sampler, "focal_alpha": self.focal_alpha,
                "effective_number_weights": self.effective, "oversample_to": self.oversample,
                "undersample_to": self.undersample}


def summarize(counts) -> Summary:
    counts = _check(counts)
    return Summary(counts, balanced_weights(counts), pos_weights(counts), sampler_weights(counts),
                   focal_alphas(counts), effective_number_weights(counts), oversample_targets(counts),
                   undersample_targets(counts))


def format_list(values, spec: str = ".4g") -> str:
    """`[1.2, 13.5]` as code wants it, for templates."""
    return "[" + ", ".join(format(v, spec) for v in values) + "]"
