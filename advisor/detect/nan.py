"""nan-loss: a non-finite loss or val_loss, or a grad_norm that stays non-finite.

An isolated non-finite grad_norm is dynamic loss scaling skipping a step, which
is how fp16 AMP works; 3 logged points in a row mean the weights are no longer
finite.
"""

from __future__ import annotations

import math

from advisor.detect.base import Detector
from advisor.detect.divergence import CONSEQUENCES


class NanLossThresholds:
    nan_grad_points: int = 3  # non-finite grad_norm values in a row (1 or 2: AMP skipping a step)


class NanLoss(Detector):
    symptom, severity, needs = "nan-loss", "high", frozenset(("loss", "val_loss", "grad_norm"))
    explains = CONSEQUENCES  # a non-finite loss is divergence gone all the way
    thresholds = NanLossThresholds

    def __init__(self, t):
        super().__init__(t)
        self.bad_grads, self.first_bad = 0, (0.0, None)

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
        if math.isfinite(grad):
            self.bad_grads = 0
            return None
        if self.bad_grads == 0:
            self.first_bad = s.at
        self.bad_grads += 1
        if self.bad_grads >= self.t.nan_grad_points:
            return self.found(self.first_bad, f"grad_norm was {grad} on {self.bad_grads} logged points in a "
                                              f"row from {s.where(self.first_bad)}: the weights are no longer finite")
        return None
