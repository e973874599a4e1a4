"""loss-plateau: the smoothed loss fell, then stopped improving long before it had fallen far.

After the smoothed loss fell >= 5% below its first value, and by >= 3x the
per-point noise (`noise_k`) (a loss that never
fell is the stuck-loss signal of vanishing-gradients and underfitting, and in
its first points every slow healthy run looks like it): no 1% improvement of the smoothed loss for at least as long as the run took to
reach that level, and for max(20 logged points, two time constants of the
noise-adapted average) or, where the log has epochs, 1 epoch (and 5 points),
while the loss has fallen < 20% since the start. "The start" is the loss a tenth
of the way into the run (RunState.loss_reference), so a loss that dropped
quickly from its initial value to a trivial level (a uniform guess) and stayed
there is a plateau. Points where the learning rate is in warmup (rising) or
decayed below 10% of its peak do not count: a flat loss is expected there.
SageMaker checks 0.1% per 10 steps on raw values. A plateau the run later left
(its smoothed loss at the end 20% below the plateau's level, `plateau_progress`)
is a stall it overcame: not reported, but said in the log's notes.
"""

from __future__ import annotations

import math

from advisor.detect.base import Detector
from advisor.detect.finding import percent


class LossPlateauThresholds:
    SHARES = ("plateau_improvement", "plateau_progress", "plateau_lr_floor", "plateau_drop")  # fractions: at most 1 (catalog.compose checks)
    plateau_improvement: float = 0.01  # what counts as improving (SageMaker: 0.1% per 10 steps, raw values)
    plateau_min_points: int = 20  # the shortest plateau, in logged points, where the log has no epochs
    plateau_progress: float = 0.2  # a loss that has fallen this much in total has learned (also vanishing-gradients)
    plateau_lr_floor: float = 0.1  # x the peak rate: below it the schedule has decayed (also vanishing-gradients)
    plateau_epochs: float = 1.0  # the shortest plateau, in epochs, where the log has epochs
    plateau_drop: float = 0.05  # the fall from the first value that must come before a plateau (5x the band)


class LossPlateau(Detector):
    symptom, needs = "loss-plateau", frozenset(("loss",))
    thresholds = LossPlateauThresholds

    def __init__(self, t):
        super().__init__(t)
        self.level = None
        self.points_to_best = 0
        self.stagnant, self.since = 0, (0.0, None)

    def update(self, s, rec):
        c, t = s.loss, self.t
        if c.value is None or "loss" not in rec:
            return None
        if self.level is None or c.value < self.level * (1 - t.plateau_improvement):
            self.level, self.points_to_best, self.stagnant = c.value, c.n, 0
            return None
        # the fall before must be real: 5% of the start and 3x the smoothed curve's noise (an early stretch of a
        # slow run whose medians wander by noise alone is no fall); an average with weight alpha spreads by the
        # per-point noise x sqrt(alpha / (2 - alpha)) (the medians before it narrow that further)
        spread = c.noise * math.sqrt(c.alpha_used / (2 - c.alpha_used))
        if not (c.first > 0 and c.first - self.level >= max(t.plateau_drop * c.first, t.noise_k * spread)):
            return None
        if not s.lr_in_range(t.plateau_lr_floor):
            return None
        if self.stagnant == 0:
            self.since = s.at
        self.stagnant += 1
        # a slow average still carries its (noisy) start for ~2 time constants: no plateau before that
        if self.stagnant < max(self.points_to_best, 2 / c.alpha_used) or \
                not s.long_enough(self.since, self.stagnant, t.plateau_min_points, t.plateau_epochs):
            return None
        ref = s.loss_reference()
        fallen = 1 - c.best / ref if ref and ref > 0 else 0.0
        if fallen >= t.plateau_progress:
            return None
        lr = f" at learning rate {s.lr:.3g}" if s.lr is not None else ""
        return self.found(self.since,
                          f"smoothed loss stayed within {percent(t.plateau_improvement)} of {self.level:.4g} for "
                          f"{self.stagnant} logged points ({s.where(self.since)} to {s.where(s.at)}){lr}; "
                          f"it fell only {percent(max(fallen, 0.0))} from {ref:.4g} early in the run")

    def outlived(self, s, finding):
        # self.level is the plateau's: a detector that fired sees no more records
        c = s.loss
        if c.value is None or c.value > self.level * (1 - self.t.plateau_progress):
            return None
        return (f"loss-plateau from {s.where((finding.step, finding.epoch))} not reported: the run left it, its "
                f"smoothed loss {c.value:.4g} at {s.where(s.at)} is {percent(1 - c.value / self.level)} below "
                f"the plateau's {self.level:.4g}")
