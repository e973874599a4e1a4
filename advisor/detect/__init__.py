"""Symptoms found in a training run: detectors fed one logged step at a time (by log readers or the Monitor).

Each detector sees records one at a time (`{"step": 120, "loss": 0.41, ...}`)
and keeps a few numbers of state, never the history, so the same code checks a
1,000,000-row log in bounded memory and a live run at every step
(`advisor.Monitor`). Each fires at most once, with the step where the symptom
began and the evidence in numbers.

One module per detector (nan.py, divergence.py, plateau.py, oscillation.py,
overfit.py, underfit.py, exploding.py, vanishing.py, minority_class.py,
gpu_utilization.py; each docstring opens with its symptom id) declares its
symptom, severity, the metrics it needs, what it explains and its thresholds
with their sources; smoothing.py is the smoother they judge, state.py the
running statistics they share, history.py the bounded whole-run summaries their
references come from (never the first, abnormal points, never the window under
test), streak.py the one "N points in a row" counter, analyzer.py feeds them
(a finding another explains is named in that one's evidence, not dropped
silently), and catalog.py derives SYMPTOMS,
SEVERE and `Thresholds` from the declarations. Windows are judged in epochs
where the log has them (a Keras CSV has one row per epoch), else in logged
points, and "the start" of a loss is its level a tenth of the way into the run.

    from advisor import detect
    detect.run(records)                       # every finding
    detect.diverging_loss(records)            # one symptom's finding or None (any symptom id, with _)
    detect.run(records, thresholds=detect.with_thresholds(diverge_rise=0.5))
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from advisor.detect.analyzer import Analyzer, run
from advisor.detect.base import Detector
from advisor.detect.catalog import (DETECTORS, EXPLAINED_BY_DIVERGENCE, EXPLAINS, SEVERE, SYMPTOMS, Thresholds,
                                    with_thresholds)
from advisor.detect.divergence import DivergingLoss
from advisor.detect.exploding import ExplodingGradients
from advisor.detect.finding import Finding, Record
from advisor.detect.plateau import LossPlateau
from advisor.detect.gpu_utilization import LowGpuUtilization
from advisor.detect.minority_class import MinorityClassIgnored
from advisor.detect.nan import NanLoss
from advisor.detect.oscillation import OscillatingLoss
from advisor.detect.overfit import Overfitting
from advisor.detect.smoothing import ALPHA_FLOOR, NOISE_TARGET, Curve
from advisor.detect.state import RunState
from advisor.detect.underfit import Underfitting
from advisor.detect.vanishing import VanishingGradients


def _one(detector: type[Detector]) -> Callable[..., Finding | None]:
    symptom = detector.symptom

    def detect(records: Iterable[Record], thresholds: Thresholds | None = None) -> Finding | None:
        found = run(records, only=[symptom], thresholds=thresholds)
        return found[0] if found else None
    detect.__name__ = detect.__qualname__ = symptom.replace("-", "_")
    detect.__doc__ = f"The {symptom} finding on these records, or None (thresholds: {detector.__module__})."
    return detect


# nan_loss(records), diverging_loss(records), ...: one function per detector, named after its symptom
_SINGLE = {d.symptom.replace("-", "_"): _one(d) for d in DETECTORS}

__all__ = ["Analyzer", "run", "Detector", "DETECTORS", "EXPLAINED_BY_DIVERGENCE", "EXPLAINS", "SEVERE", "SYMPTOMS",
           "Thresholds", "with_thresholds", "Finding", "Curve", "RunState", "NOISE_TARGET", "ALPHA_FLOOR",
           *(d.__name__ for d in DETECTORS), *_SINGLE]


def __getattr__(name: str) -> Any:
    if name in _SINGLE:
        return _SINGLE[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SINGLE))
