"""loss-plateau: the smoothed loss stopped improving long before it had fallen far.

No 1% improvement of the smoothed loss for max(20 points, as many points as the
run took to reach its best, two time constants of the noise-adapted average),
while the loss has fallen < 20% in total. Points where the learning rate is in
warmup (rising) or decayed below 10% of its peak do not count, and the stretch
lasts >= 1 epoch where the log has epochs: a flat loss is expected there.
SageMaker checks 0.1% per 10 steps on raw values.
"""

from __future__ import annotations


from advisor.detect.base import Detector
from advisor.detect.finding import percent


class LossPlateauThresholds:
    plateau_improvement: float = 0.01  # what counts as improving (SageMaker: 0.1% per 10 steps, raw values)
    plateau_min_points: int = 20  # the shortest plateau, in logged points
    plateau_progress: float = 0.2  # a loss that has fallen this much in total has learned (also vanishing-gradients)
    plateau_lr_floor: float = 0.1  # x the peak rate: below it the schedule has decayed (also vanishing-gradients)
    plateau_epochs: float = 1.0  # the shortest plateau, in epochs, where the log has epochs


class LossPlateau(Detector):
    symptom, needs = "loss-plateau", frozenset(("loss",))
    explains = frozenset({"underfitting"})  # a plateau is the more precise account of a loss that fell little
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
        if not s.lr_in_range(t.plateau_lr_floor):
            return None
        if self.stagnant == 0:
            self.since = s.at
        self.stagnant += 1
        fallen = 1 - c.best / c.first if c.first > 0 else 0.0
        # a slow average still carries its (noisy) start for ~2 time constants: no plateau before that
        settled = 2 / c.alpha_used
        if self.stagnant >= max(t.plateau_min_points, self.points_to_best, settled) and fallen < t.plateau_progress \
                and s.epochs_since(self.since) >= t.plateau_epochs:
            lr = f" at learning rate {s.lr:.3g}" if s.lr is not None else ""
            return self.found(self.since,
                              f"smoothed loss stayed within {percent(t.plateau_improvement)} of {self.level:.4g} for "
                              f"{self.stagnant} logged points ({s.where(self.since)} to {s.where(s.at)}){lr}; "
                              f"it fell only {percent(fallen)} from {c.first:.4g} at the start")
        return None
