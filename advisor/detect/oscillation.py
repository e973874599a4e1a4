"""oscillating-loss: the loss keeps swinging up and down by a large share of its level.

The running median of the loss turns direction with swings >= 20% of its level
(and >= 3x the curve's noise, `noise_k`) at least 6 times within 20 logged
points (AutoTrainer counts accuracy swings >= 0.03 in >= 20% of epochs).
"""

from __future__ import annotations

from collections import deque

from advisor.detect.base import Detector
from advisor.detect.finding import percent


class OscillatingLossThresholds:
    oscillation_swing: float = 0.2  # of the loss's level (AutoTrainer: accuracy swings >= 0.03)
    oscillation_window: int = 20  # logged points
    oscillation_turns: int = 6  # changes of direction within the window (AutoTrainer: >= 20% of epochs)


class OscillatingLoss(Detector):
    symptom, needs = "oscillating-loss", frozenset(("loss",))
    thresholds = OscillatingLossThresholds

    def __init__(self, t):
        super().__init__(t)
        self.direction, self.extreme = 0, None
        self.turns: deque[int] = deque()
        self.first_turn = (0.0, None)

    def update(self, s, rec):
        c, t = s.loss, self.t
        if c.value is None or "loss" not in rec:
            return None
        # the running median, not the average: averaging is what would hide an oscillation
        v = c.median
        if self.extreme is None:
            self.extreme = v
            return None
        moved = (v - self.extreme) / self.extreme if self.extreme > 0 else 0.0
        big = abs(moved) >= t.oscillation_swing and abs(v - self.extreme) >= t.noise_k * c.noise
        if self.direction >= 0 and v > self.extreme or self.direction <= 0 and v < self.extreme:
            if self.direction == 0 and big:
                self.direction = 1 if moved > 0 else -1
            self.extreme = v if self.direction != 0 else self.extreme
            return None
        if not big:
            return None
        self.direction, self.extreme = -self.direction if self.direction else (1 if moved > 0 else -1), v
        self.turns.append(c.n)
        while self.turns and self.turns[0] <= c.n - t.oscillation_window:
            self.turns.popleft()
        if len(self.turns) == 1:
            self.first_turn = s.at
        if len(self.turns) >= t.oscillation_turns:
            return self.found(self.first_turn,
                              f"the loss (median of 5) changed direction {len(self.turns)} times within "
                              f"{t.oscillation_window} logged points, each swing >= {percent(t.oscillation_swing)} "
                              f"of its level ({s.where(self.first_turn)} to {s.where(s.at)}, now {v:.4g})")
        return None
