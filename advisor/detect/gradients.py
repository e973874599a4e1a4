"""What exploding- and vanishing-gradients share: a streak of logged grad_norm points that meet a condition.

Both compare the running median of grad_norm (RunState.grad) with the median
of the run so far (RunState.grad_baseline: the warm-up and the tested window
left out, so neither a spiky start nor the streak itself is the reference).
"""

from __future__ import annotations


from advisor.detect.base import Detector
from advisor.detect.streak import Streak


class GradientThresholds:
    grad_points: int = 3  # logged points in a row that meet the condition


class GradientDetector(Detector):
    needs = frozenset(("grad_norm",))

    def __init__(self, t):
        super().__init__(t)
        self.streak = Streak()

    def _streak(self, s, condition: bool) -> bool:
        return self.streak.update(condition, s.at, self.t.grad_points)
