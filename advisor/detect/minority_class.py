"""minority-class-ignored: the model predicts the class prior, so its accuracy is the majority's share.

Accuracy within 0.005 for 5 evaluations in a row, between 0.9 and 0.995, with
the loss within 25% of the entropy of a (1 - accuracy) minority.
"""

from __future__ import annotations

import math
from collections import deque

from advisor.detect.base import Detector


class MinorityClassIgnoredThresholds:
    minority_accuracy: tuple[float, float] = (0.9, 0.995)  # the majority shares judged
    minority_flat: float = 0.005  # accuracy range over the evaluations
    minority_points: int = 5  # evaluations in a row
    minority_entropy_band: float = 0.25  # loss within this share of the prior's entropy


def _entropy(p: float) -> float:
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


class MinorityClassIgnored(Detector):
    symptom, needs = "minority-class-ignored", frozenset(("accuracy", "val_accuracy"))
    explains = frozenset({"underfitting"})  # a loss stuck at the prior's entropy falls little
    thresholds = MinorityClassIgnoredThresholds

    def __init__(self, t):
        super().__init__(t)
        self.recent = {k: deque(maxlen=t.minority_points) for k in ("accuracy", "val_accuracy")}

    def update(self, s, rec):
        t = self.t
        for name, loss_name in (("val_accuracy", "val_loss"), ("accuracy", "loss")):
            value = rec.get(name)
            if value is None or not math.isfinite(value):
                continue
            recent = self.recent[name]
            recent.append((value, s.at))
            loss = s.last_finite.get(loss_name)
            if len(recent) < t.minority_points or loss is None:
                continue
            values = [v for v, _ in recent]
            acc = sum(values) / len(values)
            if max(values) - min(values) > t.minority_flat or not t.minority_accuracy[0] <= acc <= t.minority_accuracy[1]:
                continue
            prior = _entropy(1 - acc)
            if abs(loss[0] - prior) <= t.minority_entropy_band * prior:
                start = recent[0][1]
                return self.found(start,
                                  f"{name} stayed at {acc:.3f} for {len(recent)} evaluations ({s.span(start, s.at)}), "
                                  f"the majority's share if every prediction is the majority class, and {loss_name} "
                                  f"{loss[0]:.4g} is the entropy {prior:.4g} of a {(1 - acc) * 100:.1f}% minority: "
                                  f"the model predicts the class prior")
        return None
