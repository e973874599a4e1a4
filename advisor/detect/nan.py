"""nan-loss: a non-finite loss or val_loss, or a grad_norm that stays non-finite.

An isolated non-finite grad_norm is dynamic loss scaling skipping a step, which
is how fp16 AMP works; 3 logged points in a row mean the weights are no longer
finite.
"""

from __future__ import annotations

import math

from advisor.detect.base import Detector
from advisor.detect.divergence import CONSEQUENCES
from advisor.detect.streak import Streak


class NanLossThresholds:
    nan_grad_points: int = 3  # non-finite grad_norm values in a row (1 or 2: AMP skipping a step)


class NanLoss(Detector):
    symptom, severity, needs = "nan-loss", "high", frozenset(("loss", "val_loss", "grad_norm"))
    explains = CONSEQUENCES  # a non-finite loss is divergence gone all the way
    thresholds = NanLossThresholds

    def __init__(self, t):
        super().__init__(t)
        self.bad_grads = Streak()

    def update(self, s, rec):
        for name in ("loss", "val_loss"):
            value = rec.get(name)
            if value is not None and not math.isfinite(value):
                last = s.last_finite.get(name)
                before = f"; last finite value {last[0]:.4g} at {s.where(last[1])}" if last else ""
                return self.found(s.at, f"{name} was {value} at {s.where(s.at)}{before}")
        grad = rec.get("grad_norm")
        if grad is None:
            return None
        if self.bad_grads.update(not math.isfinite(grad), s.at, self.t.nan_grad_points):
            since = self.bad_grads.since
            return self.found(since, f"grad_norm was {grad} on {self.bad_grads.count} logged points in a "
                                     f"row from {s.where(since)}: the weights are no longer finite")
        return None
