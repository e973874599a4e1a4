"""The detectors, in the order they run, and every symptom set and threshold derived from their declarations."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Iterable, NoReturn

from advisor.setup.units import nearest

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
    name in two groups is an error (one of the two defaults would silently win). A group's `SHARES` names
    its thresholds that are fractions, at most 1. A bad value or an unknown name raises pydantic's
    ValidationError (a ValueError) naming the threshold: the library raises nothing else for bad input.
    """
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    owner: dict[str, type] = {}
    shares: set[str] = set()
    for group in groups:
        for klass in reversed(group.__mro__[:-1]):  # a shared base group (GradientThresholds) first
            shares.update(vars(klass).get("SHARES", ()))
            for name, kind in vars(klass).get("__annotations__", {}).items():
                if owner.setdefault(name, klass) is not klass:
                    raise TypeError(f"threshold {name} is declared in {owner[name].__module__} and {klass.__module__}")
                annotations[name], defaults[name] = kind, vars(klass)[name]
    listing = "\n".join(f"    {name}: {klass.__module__}" for name, klass in owner.items())
    doc = ("Every detector threshold, each overridable (`Thresholds(diverge_rise=0.5)`, `with_thresholds(...)`).\n\n"
           "Each is declared, with its source, beside the code that reads it:\n\n" + listing)
    kinds = {name: "count" if kind in (int, "int") else "range" if isinstance(defaults[name], tuple) else "number"
             for name, kind in annotations.items()}

    def problem(name: str, value: Any) -> str | None:
        """What is wrong with `value` for threshold `name`, or None."""
        if kinds[name] == "count":  # points, turns or evaluations: 0 or fewer makes a window of nothing
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            return None if ok else "a count of logged points; use a whole number, 1 or more"
        limit = "a fraction above 0, at most 1" if name in shares else "a finite number above 0"
        values = value if kinds[name] == "range" and isinstance(value, tuple) and len(value) == 2 else (value,)
        if not all(_number_in(v, 1.0 if name in shares else math.inf) for v in values):
            return limit if kinds[name] == "number" else f"a pair (low, high) of numbers, each {limit}"
        if kinds[name] == "range" and (len(values) != 2 or values[0] >= values[1]):
            return f"a pair (low, high) with low below high, each {limit}"
        return None

    def __post_init__(self) -> None:
        for name in annotations:
            value = getattr(self, name)
            if (why := problem(name, value)) is not None:
                _invalid(name, f"{name}={value!r}: {why}", value)

    namespace = {"__module__": __name__, "__qualname__": "Thresholds", "__doc__": doc,
                 "__annotations__": annotations, "__post_init__": __post_init__, **defaults}
    klass = dataclass(frozen=True, kw_only=True)(type("Thresholds", (), namespace))
    generated = klass.__init__

    def __init__(self, *args: Any, **changes: Any) -> None:
        if args:
            _invalid("Thresholds", "thresholds are given by name, like Thresholds(diverge_rise=0.5)", args)
        for name in changes.keys() - annotations.keys():
            _invalid(name, f"{name}: not a threshold{nearest(name, annotations)}", changes[name])
        generated(self, **changes)

    klass.__init__ = __init__
    return klass


def _number_in(value: Any, top: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 < value <= top


def _invalid(name: str, message: str, value: Any) -> NoReturn:
    from advisor.errors import InputError
    from advisor.models import validation_error  # pydantic only on this path: detection itself never imports it

    raise validation_error("Thresholds", InputError(name, message), value) from None


Thresholds = compose((SmoothingThresholds, StateThresholds, *(d.thresholds for d in DETECTORS)))


def with_thresholds(**changes: Any) -> Thresholds:
    """The default thresholds with `changes` (a ValidationError names an unknown or bad one)."""
    return replace(Thresholds(), **changes)
