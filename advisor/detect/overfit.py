"""overfitting: validation loss climbs from its minimum while the training loss keeps falling.

Median-of-3 val_loss >= 1.1 x its minimum for 2 evaluations in a row while the
training loss fell >= 10% since that minimum and (val - train) / train > 0.1
(SageMaker Overfit), and the rise is no negligible change (`negligible_loss` of
the training loss at the start: near a loss of 0, ratios grow from nothing).
"""

from __future__ import annotations

import math

from advisor.detect.base import Detector
from advisor.detect.finding import percent
from advisor.detect.smoothing import Curve


class OverfittingThresholds:
    overfit_val_rise: float = 0.1  # val_loss x its minimum, minus 1
    overfit_train_fall: float = 0.1  # training loss fall since the val_loss minimum
    overfit_gap: float = 0.1  # (val - train) / train (SageMaker Overfit); also underfitting's "no gap"
    overfit_points: int = 2  # evaluations in a row


class Overfitting(Detector):
    symptom, needs = "overfitting", frozenset(("val_loss",))
    thresholds = OverfittingThresholds

    def __init__(self, t):
        super().__init__(t)
        self.val = Curve(3, 1.0)
        self.best = None
        self.best_at, self.train_at_best = (0.0, None), None
        self.run = 0

    def update(self, s, rec):
        raw = rec.get("val_loss")
        if raw is None or not math.isfinite(raw):
            return None
        v = self.val.add(raw, s.at)
        train = s.loss.value if s.loss.value is not None else s.last_finite.get("loss", (None,))[0]
        if v is None or train is None or train <= 0:
            return None
        if self.best is None or v < self.best:
            self.best, self.best_at, self.train_at_best, self.run = v, s.at, train, 0
            return None
        if self.best <= 0:  # losses that reach 0 or go negative (log-likelihoods): ratios mean nothing
            return None
        t = self.t
        rise, fall, gap = v / self.best - 1, 1 - train / self.train_at_best, (v - train) / train
        if rise >= t.overfit_val_rise and fall >= t.overfit_train_fall and gap > t.overfit_gap \
                and v - self.best >= s.negligible():
            self.run += 1
        else:
            self.run = 0
        if self.run >= t.overfit_points:
            return self.found(self.best_at,
                              f"val_loss rose {percent(rise)} over {s.span(self.best_at, s.at)} "
                              f"({self.best:.4g} -> {v:.4g}) while loss fell {percent(fall)} "
                              f"({self.train_at_best:.4g} -> {train:.4g}); (val - train) / train = {gap:.2f}")
        return None
