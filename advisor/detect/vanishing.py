"""vanishing-gradients: no learning signal reaches the weights.

Median grad_norm < 1e-7 (SageMaker VanishingGradient), or <= 1e-3 x its early
median while the loss has fallen < 20% (`plateau_progress`; AutoTrainer's
ratio), for 3 points in a row (`grad_points`); or a smoothed loss that never
falls 5% below its value at the start over 20 logged points (and 2 epochs,
where the log has epochs, and two time constants of the noise-adapted average),
outside warmup and decay (`plateau_lr_floor`). The global grad_norm cannot show
the second: the last layer dominates it and still learns the class prior.
"""

from __future__ import annotations

import math

from advisor.detect.finding import percent
from advisor.detect.gradients import GradientDetector, GradientThresholds


class VanishingGradientsThresholds(GradientThresholds):
    vanishing_abs: float = 1e-7  # median grad_norm below it (SageMaker VanishingGradient)
    vanishing_ratio: float = 1e-3  # x the early median (AutoTrainer)
    stuck_band: float = 0.05  # the smoothed loss never falls this far below its start ...
    stuck_points: int = 20  # ... over this many logged points ...
    stuck_epochs: float = 2.0  # ... and epochs, where the log has epochs


class VanishingGradients(GradientDetector):
    symptom, needs = "vanishing-gradients", frozenset(("grad_norm", "loss"))
    explains = frozenset({"underfitting"})  # a loss that cannot fall for want of gradient
    thresholds = VanishingGradientsThresholds

    def update(self, s, rec):
        t, c = self.t, s.loss
        if "grad_norm" in rec and math.isfinite(rec["grad_norm"]) and s.grad.median is not None:
            g, base = s.grad.median, s.grad_baseline
            learned = c.first is not None and c.first > 0 and 1 - c.best / c.first >= t.plateau_progress
            tiny = g < t.vanishing_abs or (base is not None and g <= t.vanishing_ratio * base and not learned)
            if self._streak(s, tiny):
                ratio = f", {base / g:.3g}x below its early median {base:.3g}" if base and g > 0 else ""
                return self.found(self.run_from, f"grad_norm fell to {g:.3g} at {s.where(s.at)}{ratio} "
                                                 f"while the loss stayed near {c.value or 0:.4g}")
        # The global grad_norm is dominated by the last layer, which still learns the class prior while the
        # early layers get nothing: a loss that never leaves its starting value is the visible sign.
        if "loss" not in rec or c.value is None or c.first <= 0 or not s.lr_in_range(t.plateau_lr_floor):
            return None
        # as for a plateau: a slow (noise-adapted) average needs ~2 time constants before it can say "stuck"
        if c.n >= max(t.stuck_points, 2 / c.alpha_used) and s.epochs_since(s.first_at) >= t.stuck_epochs \
                and c.median_best >= c.first * (1 - t.stuck_band):
            grads = f"; grad_norm median {s.grad.median:.3g}" if s.grad.median is not None else ""
            return self.found(s.first_at,
                              f"smoothed loss never fell {percent(t.stuck_band)} below its {c.first:.4g} at the "
                              f"start (lowest median {c.median_best:.4g}) over {c.n} logged points "
                              f"({s.where(s.first_at)} to {s.where(s.at)}){grads}: no learning signal reaches "
                              f"the weights")
        return None
