"""What exploding- and vanishing-gradients share: a streak of logged grad_norm points that meet a condition.

Both compare the running median of grad_norm (RunState.grad) with its early
median (RunState.grad_baseline, `grad_baseline_points`).
"""

from __future__ import annotations


from advisor.detect.base import Detector


class GradientThresholds:
    grad_points: int = 3  # logged points in a row that meet the condition


class GradientDetector(Detector):
    needs = frozenset(("grad_norm",))

    def __init__(self, t):
        super().__init__(t)
        self.run, self.run_from = 0, (0.0, None)

    def _streak(self, s, condition: bool) -> bool:
        if not condition:
            self.run = 0
            return False
        if self.run == 0:
            self.run_from = s.at
        self.run += 1
        return self.run >= self.t.grad_points
