"""vanishing-gradients: no learning signal reaches the weights.

Where the log has per-layer gradient norms (`layer_grad_norm`: Lightning's
`grad_2.0_norm/<param>`, TensorBoard's `grad_norm/<param>`): the first layer's
norm < 1e-3 x the last layer's and < 1e-4 itself, for 3 points in a row
(`grad_points`): AUTOTRAINER's vanishing-gradient rule (beta_1, beta_2;
https://github.com/shiningrain/AUTOTRAINER/blob/main/AutoTrainer/utils/monitor.py,
`gradient_issue`). The first and last layers are the first and last names in
the order the log lists them (the order the model registers its parameters).

Else: median grad_norm < 1e-7 (SageMaker VanishingGradient), or <= 1e-3 x the
run's median while the loss has fallen < 20% (`plateau_progress`; AUTOTRAINER's
ratio), for 3 points in a row, unless the loss itself is near 0 (below
`negligible_loss` of its start: converged, its gradient with it); or, where nothing per layer is logged, a smoothed
loss that never falls 5% below its value at the start over 2 epochs (where the
log has epochs) or over 20 logged points spanning >= 500 optimizer steps (where
it has none), outside warmup and decay (`plateau_lr_floor`) and, where the log
has the learning rate, once the rate summed over the steps (at most how far Adam
can have moved a weight) reaches 0.01: before that a flat loss is the rate's doing.
Inferred so, it is dropped at the end of a run whose loss later fell 20% below
its start (`plateau_progress`): a slow start, said in the log's notes. The global grad_norm cannot show the second:
the last layer dominates it and still learns the class prior.
"""

from __future__ import annotations

import math

from advisor.detect.finding import percent
from advisor.detect.gradients import GradientDetector, GradientThresholds
from advisor.detect.streak import Streak


class VanishingGradientsThresholds(GradientThresholds):
    SHARES = ("stuck_band",)  # fractions: at most 1 (catalog.compose checks)
    vanishing_abs: float = 1e-7  # median grad_norm below it (SageMaker VanishingGradient)
    vanishing_ratio: float = 1e-3  # x the run's median; also first / last layer (AUTOTRAINER beta_1)
    vanishing_first_layer: float = 1e-4  # the first layer's own norm below it (AUTOTRAINER beta_2)
    stuck_band: float = 0.05  # the smoothed loss never falls this far below its start ...
    stuck_points: int = 20  # ... over this many logged points ...
    stuck_epochs: float = 2.0  # ... and epochs, where the log has epochs ...
    # ... or optimizer steps where it has none: 20 calls of a live monitor are no evidence; SGD or Adam at a
    # usable rate moves a trainable network's loss within a few hundred steps (an assumption, not a citation)
    stuck_steps: float = 500.0
    # where the log has the rate: a flat loss is the rate's doing, not the gradient's, until the rate summed over
    # the steps (RunState.lr_travel, the most Adam can have moved any weight) reaches this: stuck_steps at 2e-5,
    # the smallest rate BERT fine-tuning uses (Devlin et al. 2019, appendix A.3)
    stuck_travel: float = 0.01


class VanishingGradients(GradientDetector):
    symptom, needs = "vanishing-gradients", frozenset(("grad_norm", "loss", "layer_grad_norm"))
    explains = frozenset({"underfitting"})  # a loss that cannot fall for want of gradient
    thresholds = VanishingGradientsThresholds

    def __init__(self, t):
        super().__init__(t)
        self.layers = Streak()
        self.per_layer = False  # the log has per-layer norms: they decide, not the loss curve

    def update(self, s, rec):
        t, c = self.t, s.loss
        layers = rec.get("layer_grad_norm")
        if isinstance(layers, dict) and len(layers) >= 2:
            found = self._layers(s, layers)
            if found:
                return found
        if "grad_norm" in rec and math.isfinite(rec["grad_norm"]) and s.grad.median is not None:
            g, base = s.grad.median, s.grad_baseline
            learned = c.first is not None and c.first > 0 and 1 - c.best / c.first >= t.plateau_progress
            tiny = not s.converged() and (g < t.vanishing_abs or (base is not None and g <= t.vanishing_ratio * base
                                                                    and not learned))
            if self._streak(s, tiny):
                ratio = f", {base / g:.3g}x below the run's median {base:.3g}" if base and g > 0 else ""
                return self.found(self.streak.since, f"grad_norm fell to {g:.3g} at {s.where(s.at)}{ratio} "
                                                     f"while the loss stayed near {c.value or 0:.4g}")
        if self.per_layer:
            return None
        return self._stuck(s, rec)

    def _layers(self, s, layers):
        t = self.t
        norms = [(name, v) for name, v in layers.items() if isinstance(v, float) and math.isfinite(v)]
        if len(norms) < 2:
            return None
        self.per_layer = True
        (first_name, first), (last_name, last) = norms[0], norms[-1]
        vanished = last > 0 and first < t.vanishing_ratio * last and first < t.vanishing_first_layer
        if self.layers.update(vanished, s.at, t.grad_points):
            return self.found(self.layers.since,
                              f"the first layer's gradient norm ({first_name}) was {first:.3g} at {s.where(s.at)}, "
                              f"{last / first if first > 0 else math.inf:.3g}x below the last layer's ({last_name}, "
                              f"{last:.3g}), for {self.layers.count} logged points: the early layers get no signal")
        return None

    def _stuck(self, s, rec):
        # The global grad_norm is dominated by the last layer, which still learns the class prior while the
        # early layers get nothing: a loss that never leaves its starting value is the visible sign.
        t, c = self.t, s.loss
        if "loss" not in rec or c.value is None or c.first <= 0 or not s.lr_in_range(t.plateau_lr_floor):
            return None
        if s.lr is not None and s.lr_travel < t.stuck_travel:
            return None
        # as for a plateau: a slow (noise-adapted) average needs ~2 time constants before it can say "stuck"
        # a row of a per-epoch log is the epoch's mean, no noisy point: a loss that fell from the first row learned
        start = max(c.first, c.first_raw) if s.epoch_axis else c.first
        band = start * (1 - t.stuck_band)
        # the loss logged now must still be at its start too: the medians lag a loss that has just begun to fall
        if c.n < 2 / c.alpha_used or c.median_best < band or rec["loss"] < band:
            return None
        if s.at[1] is None and s.at[0] - s.first_at[0] < t.stuck_steps:
            return None
        if not s.long_enough(s.first_at, c.n, t.stuck_points, t.stuck_epochs):
            return None
        grads = f"; grad_norm median {s.grad.median:.3g}" if s.grad.median is not None else ""
        # inferred from the loss alone, it does not explain the underfitting: a model too small for its task
        # looks the same, so both are reported
        return self.found(s.first_at,
                          f"smoothed loss never fell {percent(t.stuck_band)} below its {start:.4g} at the "
                          f"start (lowest median {c.median_best:.4g}) over {c.n} logged points "
                          f"({s.where(s.first_at)} to {s.where(s.at)}){grads}: no learning signal reaches "
                          f"the weights (inferred from the loss; per-layer gradient norms would show it)",
                          frozenset())

    def outlived(self, s, finding):
        # asked only of a finding that explains nothing: the one inferred from the flat loss (measured gradient
        # norms explain the underfitting, and stand); a loss that later fell far was a slow start
        c = s.loss
        if c.value is None or c.value > c.first * (1 - self.t.plateau_progress):
            return None
        return (f"vanishing-gradients inferred from the flat loss from {s.where((finding.step, finding.epoch))} "
                f"not reported: the smoothed loss later fell to {c.value:.4g} at {s.where(s.at)}, "
                f"{percent(1 - c.value / c.first)} below its start: the weights got a learning signal")
