"""diverging-loss: the loss rose well above its best, blew up from its start, or saturated at a wrong guess.

Smoothed loss >= 1.3 x its running minimum, undoing >= 10% of the progress
made, for 3 logged points; or the median loss >= 2 x the loss at the start.
SageMaker's LossNotDecreasing fires on a 5% rise of raw losses; with mini-batch
noise 30% of the smoothed curve (and 3x the noise, `noise_k`) is the rise a
healthy run does not show. Also: a training loss >= 2 x log(1/accuracy) (the
loss of a uniform guess at that accuracy) at accuracy <= 0.6 for 3 points
(validation accuracy where no training accuracy is logged): the weights blew up
within the first logged interval and the outputs saturated.
"""

from __future__ import annotations

import math

from advisor.detect.base import Detector
from advisor.detect.finding import percent

# Once the loss has gone non-finite or diverged, what the curve does next is a consequence, not a second
# problem: these detectors stop there (nan-loss explains the same).
CONSEQUENCES = frozenset({"loss-plateau", "oscillating-loss", "overfitting", "underfitting", "vanishing-gradients",
                          "minority-class-ignored"})


class DivergingLossThresholds:
    diverge_rise: float = 0.3  # x the running minimum (SageMaker LossNotDecreasing: 5% of raw losses)
    diverge_share: float = 0.1  # of the progress made since the start, undone
    diverge_points: int = 3  # logged points in a row (also for saturation)
    diverge_blowup: float = 2.0  # median loss x the loss at the start
    saturation_accuracy: float = 0.6  # at or below this accuracy ...
    saturation_factor: float = 2.0  # ... a loss this many times log(1/accuracy), a uniform guess's loss


class DivergingLoss(Detector):
    symptom, severity, needs = "diverging-loss", "high", frozenset(("loss",))
    explains = CONSEQUENCES
    thresholds = DivergingLossThresholds

    def __init__(self, t):
        super().__init__(t)
        self.run, self.run_from = 0, (0.0, None)
        self.saturated = 0

    def update(self, s, rec):
        c = s.loss
        if c.value is None or "loss" not in rec or not math.isfinite(rec["loss"]):
            return None
        t = self.t
        # training accuracy where logged, else the latest validation accuracy (HF Trainer logs no train accuracy)
        acc_name = "accuracy" if "accuracy" in s.last_finite else "val_accuracy"
        acc = s.last_finite.get(acc_name, (None,))[0]
        if acc is not None and 0 < acc <= t.saturation_accuracy and c.median >= t.saturation_factor * -math.log(acc):
            self.saturated += 1
            if self.saturated >= t.diverge_points:
                chance = -math.log(acc)
                return self.found(s.first_at,
                                  f"loss {c.median:.4g} at {acc_name} {acc:.3f}: {c.median / chance:.1f}x the "
                                  f"{chance:.3g} of a uniform guess at that accuracy, for {self.saturated} logged "
                                  f"points: the outputs are saturated and confidently wrong")
        else:
            self.saturated = 0
        if c.first > 0 and c.median >= t.diverge_blowup * c.first:
            return self.found(s.at, f"loss reached {c.median:.4g} (median of the last {len(c.buf)} logged "
                                    f"values) at {s.where(s.at)}, {c.median / c.first:.1f}x its "
                                    f"{c.first:.4g} at the start")
        progress = max(c.first - c.best, 0.0)
        rise = c.value - c.best
        rising = rise > 0 and rise >= max(t.diverge_rise * c.best, t.noise_k * c.noise, t.diverge_share * progress)
        if not rising:
            self.run = 0
            return None
        if self.run == 0:
            self.run_from = c.best_at
        self.run += 1
        if self.run >= t.diverge_points:
            return self.found(self.run_from,
                              f"smoothed loss rose {percent(rise / abs(c.best)) if c.best else f'by {rise:.4g}'} "
                              f"from its minimum {c.best:.4g} "
                              f"at {s.where(self.run_from)} to {c.value:.4g} at {s.where(s.at)}, "
                              f"and stayed up for {self.run} logged points")
        return None
