"""The detectors, in the order they run, and every symptom set and threshold derived from their declarations."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

from advisor.detect.base import Detector
from advisor.detect.divergence import DivergingLoss
from advisor.detect.exploding import ExplodingGradients
from advisor.detect.plateau import LossPlateau
from advisor.detect.gpu_utilization import LowGpuUtilization
from advisor.detect.minority_class import MinorityClassIgnored
from advisor.detect.nan import NanLoss
from advisor.detect.oscillation import OscillatingLoss
from advisor.detect.overfit import Overfitting
from advisor.detect.smoothing import SmoothingThresholds
from advisor.detect.state import StateThresholds
from advisor.detect.underfit import Underfitting
from advisor.detect.vanishing import VanishingGradients

# The order findings of one record come in, and the order symptoms are listed in messages.
DETECTORS: tuple[type[Detector], ...] = (
    NanLoss, DivergingLoss, ExplodingGradients, VanishingGradients, LossPlateau, OscillatingLoss,
    Overfitting, Underfitting, MinorityClassIgnored, LowGpuUtilization)
SYMPTOMS = tuple(d.symptom for d in DETECTORS)
SEVERE = tuple(d.symptom for d in DETECTORS if d.severity == "high")
EXPLAINS: dict[str, frozenset[str]] = {d.symptom: d.explains for d in DETECTORS}
EXPLAINED_BY_DIVERGENCE = EXPLAINS["diverging-loss"]


def compose(groups: Iterable[type]) -> type:
    """One frozen, keyword-only dataclass with every threshold the groups (and their base groups) declare.

    A group is a plain class whose annotated attributes are thresholds with their defaults; declaring a
    name in two groups is an error (one of the two defaults would silently win).
    """
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    owner: dict[str, type] = {}
    for group in groups:
        for klass in reversed(group.__mro__[:-1]):  # a shared base group (GradientThresholds) first
            for name, kind in vars(klass).get("__annotations__", {}).items():
                if owner.setdefault(name, klass) is not klass:
                    raise TypeError(f"threshold {name} is declared in {owner[name].__module__} and {klass.__module__}")
                annotations[name], defaults[name] = kind, vars(klass)[name]
    listing = "\n".join(f"    {name}: {klass.__module__}" for name, klass in owner.items())
    doc = ("Every detector threshold, each overridable (`Thresholds(diverge_rise=0.5)`, `with_thresholds(...)`).\n\n"
           "Each is declared, with its source, beside the code that reads it:\n\n" + listing)
    counts = tuple(name for name, kind in annotations.items() if kind in (int, "int"))

    def __post_init__(self) -> None:
        # every int threshold counts points, turns or evaluations: 0 or fewer makes a window of nothing
        for name in counts:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r}: a count of logged points; use a whole number, 1 or more")

    namespace = {"__module__": __name__, "__qualname__": "Thresholds", "__doc__": doc,
                 "__annotations__": annotations, "__post_init__": __post_init__, **defaults}
    return dataclass(frozen=True, kw_only=True)(type("Thresholds", (), namespace))


Thresholds = compose((SmoothingThresholds, StateThresholds, *(d.thresholds for d in DETECTORS)))


def with_thresholds(**changes: Any) -> Thresholds:
    """The default thresholds with `changes` (a TypeError names an unknown one)."""
    return replace(Thresholds(), **changes)
