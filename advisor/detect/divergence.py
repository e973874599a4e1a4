"""diverging-loss: the loss rose well above its best and stayed there, or saturated at a wrong guess.

Smoothed loss >= 1.3 x its running minimum, undoing >= 10% of the progress
made and >= 3x the curve's noise (`noise_k`), for 3 logged points in a row;
or the running median >= 2 x the run's median before it (RunState's loss
history: warm-up and the tested window left out) and above it by >= 3x the
noise, for 3 points in a row: a blow-up. A single spike never moves a median
of 5, and a rise must last: noise alone does not pass. SageMaker's
LossNotDecreasing fires on a 5% rise of raw losses; with mini-batch noise 30%
of the smoothed curve is the rise a healthy run does not show.

Also: a training loss >= 2 x log(1/accuracy) (the loss of a uniform guess at
that accuracy) at accuracy <= 0.6 for 3 points (validation accuracy where no
training accuracy is logged), starting within the first 3 points that log both
(`warmup_points`): the weights blew up within the first logged interval and the
outputs saturated (later, the blow-up test above has the run's own loss to
compare with). That finding does not explain a plateau or
underfitting: a saturated model is also stuck, so they are reported beside it.
"""

from __future__ import annotations

import math
from collections import deque

from advisor.detect.base import Detector
from advisor.detect.finding import percent
from advisor.detect.streak import Streak

# Once the loss has gone non-finite or diverged, what the curve does next is a consequence, not a second
# problem (nan-loss explains the same).
CONSEQUENCES = frozenset({"loss-plateau", "oscillating-loss", "overfitting", "underfitting", "vanishing-gradients",
                          "minority-class-ignored"})
# A model saturated from the first logged interval is also stuck there: its plateau and underfitting are real.
SATURATION_CONSEQUENCES = CONSEQUENCES - {"loss-plateau", "underfitting"}


class DivergingLossThresholds:
    SHARES = ("diverge_share", "saturation_accuracy")  # fractions: at most 1 (catalog.compose checks)
    diverge_rise: float = 0.3  # x the running minimum (SageMaker LossNotDecreasing: 5% of raw losses)
    diverge_share: float = 0.1  # of the progress made since the start, undone
    diverge_points: int = 3  # logged points in a row (also for saturation)
    diverge_blowup: float = 2.0  # running median x the run's median before it
    saturation_accuracy: float = 0.6  # at or below this accuracy ...
    saturation_factor: float = 2.0  # ... a loss this many times log(1/accuracy), a uniform guess's loss


class DivergingLoss(Detector):
    symptom, severity, needs = "diverging-loss", "high", frozenset(("loss",))
    explains = CONSEQUENCES
    thresholds = DivergingLossThresholds

    def __init__(self, t):
        super().__init__(t)
        self.rising, self.blowup, self.saturated = Streak(), Streak(), Streak()
        self.compared = 0  # points so far where the loss and an accuracy could be compared
        # the curve's noise before the tested window (the running median's reach and the streak): a blow-up
        # inflates the noise estimate, and must not be measured against itself
        self.noise_before: deque[float] = deque(maxlen=t.median_window + t.diverge_points)

    def update(self, s, rec):
        c = s.loss
        if c.value is None or "loss" not in rec or not math.isfinite(rec["loss"]):
            return None
        t = self.t
        return self._saturation(s, c, t) or self._blowup(s, c, t) or self._rise(s, c, t)

    def _saturation(self, s, c, t):
        # training accuracy where logged, else the latest validation accuracy (HF Trainer logs no train accuracy)
        acc_name = "accuracy" if "accuracy" in s.last_finite else "val_accuracy"
        acc = s.last_finite.get(acc_name, (None,))[0]
        if acc is None:
            return None
        # a streak that starts within the first warm-up points where loss and accuracy can be compared, or none:
        # later, a model that started near a uniform guess and ranks right before it is confident (a lucky
        # batch at accuracy 0.53 while a 4-class loss is still near log 4) meets the ratio too, and a blow-up
        # then has the run's own earlier loss to be compared with
        self.compared += 1
        if self.saturated.count == 0 and self.compared > t.warmup_points:
            return None
        wrong = 0 < acc <= t.saturation_accuracy and c.median >= t.saturation_factor * -math.log(acc)
        if self.saturated.update(wrong, s.at, t.diverge_points):
            chance = -math.log(acc)
            return self.found(s.first_at,
                              f"loss {c.median:.4g} at {acc_name} {acc:.3f}: {c.median / chance:.1f}x the "
                              f"{chance:.3g} of a uniform guess at that accuracy, for {self.saturated.count} logged "
                              f"points: the outputs are saturated and confidently wrong", SATURATION_CONSEQUENCES)
        return None

    def _blowup(self, s, c, t):
        ref = s.loss_history.median()
        if ref is None:
            ref = c.first
        self.noise_before.append(c.noise)
        high = ref > 0 and c.median >= t.diverge_blowup * ref and c.median - ref >= t.noise_k * self.noise_before[0]
        if self.blowup.update(high, s.at, t.diverge_points):
            return self.found(self.blowup.since,
                              f"loss reached {c.median:.4g} (median of the last {len(c.buf)} logged values) at "
                              f"{s.where(s.at)}, {c.median / ref:.1f}x the run's median {ref:.4g} before "
                              f"{s.where(self.blowup.since)}, for {self.blowup.count} logged points")
        return None

    def _rise(self, s, c, t):
        progress = max(c.first - c.best, 0.0)
        rise = c.value - c.best
        up = rise > 0 and rise >= max(t.diverge_rise * c.best, t.noise_k * c.noise, t.diverge_share * progress)
        start = c.best_at if self.rising.count == 0 else self.rising.since
        if self.rising.update(up, start, t.diverge_points):
            since = self.rising.since
            return self.found(since,
                              f"smoothed loss rose {percent(rise / abs(c.best)) if c.best else f'by {rise:.4g}'} "
                              f"from its minimum {c.best:.4g} at {s.where(since)} to {c.value:.4g} at "
                              f"{s.where(s.at)}, and stayed up for {self.rising.count} logged points")
        return None
