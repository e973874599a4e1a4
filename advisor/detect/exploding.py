"""exploding-gradients: grad_norm far above its early level, for several logged points.

Median grad_norm >= 20 x the median grad_norm of the run so far (warm-up and
the tested window left out: RunState.grad_baseline), for 3 points in a row
(`grad_points`), unless the loss is near 0 (RunState.converged: the median is
then a converged run's, tiny, and 20x it is still nothing).
"""

from __future__ import annotations

import math

from advisor.detect.gradients import GradientDetector, GradientThresholds


class ExplodingGradientsThresholds(GradientThresholds):
    exploding_ratio: float = 20.0  # x the early median


class ExplodingGradients(GradientDetector):
    symptom, severity = "exploding-gradients", "high"
    thresholds = ExplodingGradientsThresholds

    def update(self, s, rec):
        g, base = s.grad.median, s.grad_baseline
        if g is None or base is None or base <= 0 or not math.isfinite(rec["grad_norm"]):
            return None
        if self._streak(s, g >= self.t.exploding_ratio * base and not s.converged()):
            return self.found(self.streak.since,
                              f"grad_norm rose to {g:.4g} (median of the last {len(s.grad.buf)}) at {s.where(s.at)}, "
                              f"{g / base:.0f}x the run's median {base:.4g} before it, for {self.streak.count} logged "
                              f"points")
        return None
