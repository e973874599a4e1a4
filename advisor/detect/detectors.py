"""Symptoms detected from logged numbers: one incremental detector per symptom id.

Each detector sees records one at a time (`{"step": 120, "loss": 0.41, ...}`)
and keeps a few numbers of state, never the history, so the same code checks a
1,000,000-row log in bounded memory and a live run at every step
(`advisor.Monitor`). Each fires at most once, with the step where the symptom
began and the evidence in numbers.

Curves are smoothed before they are judged, so noisy mini-batch losses raise no
false alarms: a running median of 5 points (an isolated spike, up to 2 points in
5, never moves it), then an exponential average, alpha 0.3 for clean curves and
smaller for noisy ones (down to 0.05), chosen so that the smoothed curve's own
noise stays near 1% of its level where that is possible. The noise is the mean deviation over
the last ~40 points, from second differences so that a trend is not taken
for noise. The loss "at the start" is the median of the first 3
logged values.

Thresholds (`Thresholds`, every one overridable) and where they come from:

nan-loss            a non-finite loss or val_loss; a non-finite grad_norm on 3
                    logged points in a row (an isolated one is dynamic loss
                    scaling skipping a step, which is how fp16 AMP works).
diverging-loss      smoothed loss >= 1.3 x its running minimum, undoing >= 10%
                    of the progress made, for 3 logged points; or the median
                    loss >= 2 x the loss at the start. SageMaker's
                    LossNotDecreasing fires on a 5% rise of raw losses; with
                    mini-batch noise 30% of the smoothed curve (and 3x the
                    noise) is the rise a healthy run does not show. Also: a
                    training loss >= 2 x log(1/accuracy) (the loss of a
                    uniform guess at that accuracy) at accuracy <= 0.6 for 3
                    points (validation accuracy where no training accuracy
                    is logged): the weights blew up within the first logged
                    interval and the outputs saturated.
loss-plateau        no 1% improvement of the smoothed loss for max(20 points,
                    as many points as the run took to reach its best, two time
                    constants of the noise-adapted average), while the
                    loss has fallen < 20% in total. Points where the learning
                    rate is in warmup (rising) or decayed below 10% of its peak
                    do not count, and the stretch lasts >= 1 epoch where the log
                    has epochs: a flat loss is expected there. SageMaker
                    checks 0.1% per 10 steps on raw values.
oscillating-loss    the running median of the loss turns direction with swings >= 20% of its
                    level at least 6 times within 20 logged points (AutoTrainer
                    counts accuracy swings >= 0.03 in >= 20% of epochs).
overfitting         median-of-3 val_loss >= 1.1 x its minimum for 2 evaluations
                    in a row while the training loss fell >= 10% since that
                    minimum and (val - train) / train > 0.1 (SageMaker Overfit).
underfitting        at the end of the run: loss fell < 25% from the start, the
                    training loss is no better than validation ((val - train)
                    / train < 0.1) or the best accuracy is < 0.6 (AutoTrainer's
                    slow convergence), and no plateau or divergence explains it.
exploding-gradients median grad_norm >= 20 x its median over the first 5
                    logged points, for 3 points in a row.
vanishing-gradients median grad_norm < 1e-7 (SageMaker VanishingGradient), or
                    <= 1e-3 x its early median while the loss has fallen < 20%
                    (AutoTrainer's ratio); or a smoothed loss that never falls
                    5% below its value at the start over 20 logged points (and 2 epochs, where the log has epochs,
                    and two time constants of the noise-adapted average): no
                    learning signal reaches the weights. The global grad_norm
                    cannot show it: the last layer dominates it and still learns
                    the class prior.
low-gpu-utilization p95 of gpu_util < 70%, or p95 >= 70% with p5 < 10%
                    (SageMaker LowGPUUtilization), over >= 20 samples, the
                    first 5 (start-up) left out. Values <= 1 are fractions.
minority-class-ignored
                    accuracy within 0.005 for 5 evaluations in a row, between
                    0.9 and 0.995, with the loss within 25% of the entropy of
                    a (1 - accuracy) minority: the model predicts the class
                    prior, so its accuracy is the majority's share.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

NOISE_TARGET = 0.01
ALPHA_FLOOR = 0.05  # a ~40-point average at most: longer ones lag too far behind a real change
SEVERE = ("nan-loss", "diverging-loss", "exploding-gradients")
# Once the loss has gone non-finite or diverged, what the curve does next is a consequence, not a
# second problem: these detectors stop there.
EXPLAINED_BY_DIVERGENCE = frozenset({"loss-plateau", "oscillating-loss", "overfitting", "underfitting",
                                     "vanishing-gradients", "minority-class-ignored"})


@dataclass(frozen=True)
class Thresholds:
    median_window: int = 5
    ema_alpha: float = 0.3
    warmup_points: int = 3
    diverge_rise: float = 0.3
    diverge_share: float = 0.1
    diverge_points: int = 3
    diverge_blowup: float = 2.0
    saturation_accuracy: float = 0.6
    saturation_factor: float = 2.0
    noise_k: float = 3.0
    nan_grad_points: int = 3
    plateau_improvement: float = 0.01
    plateau_min_points: int = 20
    plateau_progress: float = 0.2
    plateau_lr_floor: float = 0.1
    plateau_epochs: float = 1.0
    oscillation_swing: float = 0.2
    oscillation_window: int = 20
    oscillation_turns: int = 6
    overfit_val_rise: float = 0.1
    overfit_train_fall: float = 0.1
    overfit_gap: float = 0.1
    overfit_points: int = 2
    underfit_progress: float = 0.25
    underfit_accuracy: float = 0.6
    underfit_min_points: int = 10
    exploding_ratio: float = 20.0
    grad_baseline_points: int = 5
    grad_points: int = 3
    vanishing_abs: float = 1e-7
    vanishing_ratio: float = 1e-3
    stuck_band: float = 0.05
    stuck_points: int = 20
    stuck_epochs: float = 2.0
    gpu_p95: float = 70.0
    gpu_p5: float = 10.0
    gpu_min_samples: int = 20
    gpu_skip: int = 5
    minority_accuracy: tuple[float, float] = (0.9, 0.995)
    minority_flat: float = 0.005
    minority_points: int = 5
    minority_entropy_band: float = 0.25


@dataclass
class Finding:
    """One detected symptom: where it began and the numbers that show it."""

    symptom: str
    step: float
    evidence: str
    severity: str = "medium"
    epoch: float | None = None
    advice: list[Any] = field(default_factory=list)

    @property
    def severe(self) -> bool:
        return self.severity == "high"

    def as_dict(self) -> dict[str, Any]:
        return {"symptom": self.symptom, "step": _num(self.step), "evidence": self.evidence}

    def __str__(self) -> str:
        return f"{self.symptom} from step {_fmt(self.step)}: {self.evidence}"


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def _fmt(value: float) -> str:
    return f"{value:.4g}" if not float(value).is_integer() else str(int(value))


def _pct(ratio: float) -> str:
    return f"{abs(ratio) * 100:.0f}%"


_finite = math.isfinite


class Curve:
    """Median-then-EMA smoothing of one metric, with its start and running best."""

    __slots__ = ("window", "alpha", "buf", "median", "value", "n", "first", "best", "best_at", "last_at", "noise",
                 "median_best", "alpha_used")

    def __init__(self, window: int, alpha: float) -> None:
        self.window, self.alpha = window, alpha
        self.buf: deque[float] = deque(maxlen=window)
        self.median = self.value = self.first = self.best = None  # type: ignore[assignment]
        self.best_at: tuple[float, float | None] = (0.0, None)
        self.last_at: tuple[float, float | None] = (0.0, None)
        self.n = 0
        self.noise = 0.0
        self.median_best = None  # type: ignore[assignment]
        self.alpha_used = alpha

    def add(self, raw: float, at: tuple[float, float | None]) -> float | None:
        """The smoothed value after `raw`; None while fewer than 3 values were seen."""
        self.n += 1
        self.buf.append(raw)
        self.last_at = at
        if self.n < 3:
            return None
        ordered = sorted(self.buf)
        self.median = ordered[len(ordered) // 2]
        # |second difference| / sqrt(6) estimates the noise's mean deviation while a trend, however steep,
        # cancels out; a running mean at first, then a slow EMA (~40 points) that follows the level
        b = self.buf
        wobble = abs(b[-1] - 2 * b[-2] + b[-3]) / 2.449
        self.noise += (wobble - self.noise) / min(self.n - 2, 40)
        if self.first is None:
            self.first = self.value = self.best = self.median_best = self.median
            self.best_at = at
            return self.value
        alpha = self.alpha
        if alpha < 1.0 and self.value > 0 and self.noise > 0:
            # noisier curves get a longer average, so the smoothed curve's own noise stays near 1% of its level;
            # ratio * ratio, not ** 2: over a long flat stretch the noise decays towards 0, and ** raises
            # OverflowError where * gives inf
            ratio = NOISE_TARGET * self.value / self.noise
            alpha = min(alpha, max(ALPHA_FLOOR, 2 * ratio * ratio))
        self.alpha_used = alpha
        self.value += alpha * (self.median - self.value)
        self.median_best = min(self.median_best, self.median)
        if self.value < self.best:
            self.best, self.best_at = self.value, at
        return self.value


class Detector:
    """Base: `update` sees every record with a metric it `needs`; `finish` runs once at the end."""

    symptom = ""
    severity = "medium"
    needs: frozenset[str] = frozenset()

    def __init__(self, t: Thresholds) -> None:
        self.t = t

    def update(self, a: "Analyzer", rec: dict[str, float]) -> Finding | None:
        return None

    def finish(self, a: "Analyzer") -> Finding | None:
        return None

    def found(self, a: "Analyzer", at: tuple[float, float | None], evidence: str) -> Finding:
        return Finding(self.symptom, at[0], evidence, self.severity, at[1])


class NanLoss(Detector):
    symptom, severity, needs = "nan-loss", "high", frozenset(("loss", "val_loss", "grad_norm"))

    def __init__(self, t: Thresholds) -> None:
        super().__init__(t)
        self.bad_grads, self.first_bad = 0, (0.0, None)

    def update(self, a, rec):
        for name in ("loss", "val_loss"):
            value = rec.get(name)
            if value is not None and not _finite(value):
                last = a.last_finite.get(name)
                before = f"; last finite value {last[0]:.4g} at {a.where(last[1])}" if last else ""
                return self.found(a, a.at, f"{name} was {value} at {a.where(a.at)}{before}")
        grad = rec.get("grad_norm")
        if grad is None:
            return None
        if _finite(grad):
            self.bad_grads = 0
            return None
        if self.bad_grads == 0:
            self.first_bad = a.at
        self.bad_grads += 1
        if self.bad_grads >= self.t.nan_grad_points:
            return self.found(a, self.first_bad, f"grad_norm was {grad} on {self.bad_grads} logged points in a "
                                                 f"row from {a.where(self.first_bad)}: the weights are no longer finite")
        return None


class DivergingLoss(Detector):
    symptom, severity, needs = "diverging-loss", "high", frozenset(("loss",))

    def __init__(self, t):
        super().__init__(t)
        self.run, self.run_from = 0, (0.0, None)
        self.saturated = 0

    def update(self, a, rec):
        c = a.loss
        if c.value is None or "loss" not in rec or not _finite(rec["loss"]):
            return None
        t = self.t
        # training accuracy where logged, else the latest validation accuracy (HF Trainer logs no train accuracy)
        acc_name = "accuracy" if "accuracy" in a.last_finite else "val_accuracy"
        acc = a.last_finite.get(acc_name, (None,))[0]
        if acc is not None and 0 < acc <= t.saturation_accuracy and c.median >= t.saturation_factor * -math.log(acc):
            self.saturated += 1
            if self.saturated >= t.diverge_points:
                chance = -math.log(acc)
                return self.found(a, a.first_at,
                                  f"loss {c.median:.4g} at {acc_name} {acc:.3f}: {c.median / chance:.1f}x the "
                                  f"{chance:.3g} of a uniform guess at that accuracy, for {self.saturated} logged "
                                  f"points: the outputs are saturated and confidently wrong")
        else:
            self.saturated = 0
        if c.first > 0 and c.median >= t.diverge_blowup * c.first:
            return self.found(a, a.at, f"loss reached {c.median:.4g} (median of the last {len(c.buf)} logged "
                                       f"values) at {a.where(a.at)}, {c.median / c.first:.1f}x its "
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
            return self.found(a, self.run_from,
                              f"smoothed loss rose {_pct(rise / abs(c.best)) if c.best else f'by {rise:.4g}'} "
                              f"from its minimum {c.best:.4g} "
                              f"at {a.where(self.run_from)} to {c.value:.4g} at {a.where(a.at)}, "
                              f"and stayed up for {self.run} logged points")
        return None


class LossPlateau(Detector):
    symptom, needs = "loss-plateau", frozenset(("loss",))

    def __init__(self, t):
        super().__init__(t)
        self.level = None
        self.points_to_best = 0
        self.stagnant, self.since = 0, (0.0, None)

    def update(self, a, rec):
        c, t = a.loss, self.t
        if c.value is None or "loss" not in rec:
            return None
        if self.level is None or c.value < self.level * (1 - t.plateau_improvement):
            self.level, self.points_to_best, self.stagnant = c.value, c.n, 0
            return None
        if not a.lr_in_range():
            return None
        if self.stagnant == 0:
            self.since = a.at
        self.stagnant += 1
        fallen = 1 - c.best / c.first if c.first > 0 else 0.0
        # a slow average still carries its (noisy) start for ~2 time constants: no plateau before that
        settled = 2 / c.alpha_used
        if self.stagnant >= max(t.plateau_min_points, self.points_to_best, settled) and fallen < t.plateau_progress \
                and a.epochs_since(self.since) >= t.plateau_epochs:
            lr = f" at learning rate {a.lr:.3g}" if a.lr is not None else ""
            return self.found(a, self.since,
                              f"smoothed loss stayed within {_pct(t.plateau_improvement)} of {self.level:.4g} for "
                              f"{self.stagnant} logged points ({a.where(self.since)} to {a.where(a.at)}){lr}; "
                              f"it fell only {_pct(fallen)} from {c.first:.4g} at the start")
        return None


class OscillatingLoss(Detector):
    symptom, needs = "oscillating-loss", frozenset(("loss",))

    def __init__(self, t):
        super().__init__(t)
        self.direction, self.extreme = 0, None
        self.turns: deque[int] = deque()
        self.first_turn = (0.0, None)

    def update(self, a, rec):
        c, t = a.loss, self.t
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
            self.first_turn = a.at
        if len(self.turns) >= t.oscillation_turns:
            return self.found(a, self.first_turn,
                              f"the loss (median of 5) changed direction {len(self.turns)} times within "
                              f"{t.oscillation_window} logged points, each swing >= {_pct(t.oscillation_swing)} "
                              f"of its level ({a.where(self.first_turn)} to {a.where(a.at)}, now {v:.4g})")
        return None


class Overfitting(Detector):
    symptom, needs = "overfitting", frozenset(("val_loss",))

    def __init__(self, t):
        super().__init__(t)
        self.val = Curve(3, 1.0)
        self.best = None
        self.best_at, self.train_at_best = (0.0, None), None
        self.run = 0

    def update(self, a, rec):
        raw = rec.get("val_loss")
        if raw is None or not _finite(raw):
            return None
        v = self.val.add(raw, a.at)
        train = a.loss.value if a.loss.value is not None else a.last_finite.get("loss", (None,))[0]
        if v is None or train is None or train <= 0:
            return None
        if self.best is None or v < self.best:
            self.best, self.best_at, self.train_at_best, self.run = v, a.at, train, 0
            return None
        if self.best <= 0:  # losses that reach 0 or go negative (log-likelihoods): ratios mean nothing
            return None
        t = self.t
        rise, fall, gap = v / self.best - 1, 1 - train / self.train_at_best, (v - train) / train
        if rise >= t.overfit_val_rise and fall >= t.overfit_train_fall and gap > t.overfit_gap:
            self.run += 1
        else:
            self.run = 0
        if self.run >= t.overfit_points:
            return self.found(a, self.best_at,
                              f"val_loss rose {_pct(rise)} over {a.span(self.best_at, a.at)} "
                              f"({self.best:.4g} -> {v:.4g}) while loss fell {_pct(fall)} "
                              f"({self.train_at_best:.4g} -> {train:.4g}); (val - train) / train = {gap:.2f}")
        return None


class Underfitting(Detector):
    symptom, needs = "underfitting", frozenset(())

    def finish(self, a):
        c, t = a.loss, self.t
        if c.value is None or c.n < t.underfit_min_points or c.first <= 0:
            return None
        if a.fired & {"loss-plateau", "diverging-loss", "nan-loss", "vanishing-gradients", "minority-class-ignored"}:
            return None
        fallen = 1 - c.value / c.first
        if fallen >= t.underfit_progress:
            return None
        val = a.last_finite.get("val_loss")
        acc = a.best_accuracy
        no_gap = val is not None and (val[0] - c.value) / c.value < t.overfit_gap
        low_acc = acc is not None and acc < t.underfit_accuracy
        if not (no_gap or low_acc):
            return None
        parts = [f"loss fell only {_pct(fallen)} ({c.first:.4g} -> {c.value:.4g}) over {c.n} logged points"]
        if no_gap:
            parts.append(f"val_loss {val[0]:.4g} is no higher than it: the model does not even fit the training data")
        if low_acc:
            parts.append(f"best accuracy {acc:.3f} < {t.underfit_accuracy}")
        return self.found(a, c.last_at, "; ".join(parts))


class _GradDetector(Detector):
    needs = frozenset(("grad_norm",))

    def __init__(self, t):
        super().__init__(t)
        self.run, self.run_from = 0, (0.0, None)

    def _streak(self, a, condition: bool) -> bool:
        if not condition:
            self.run = 0
            return False
        if self.run == 0:
            self.run_from = a.at
        self.run += 1
        return self.run >= self.t.grad_points


class ExplodingGradients(_GradDetector):
    symptom, severity = "exploding-gradients", "high"

    def update(self, a, rec):
        g, base = a.grad.median, a.grad_baseline
        if g is None or base is None or base <= 0 or not _finite(rec["grad_norm"]):
            return None
        if self._streak(a, g >= self.t.exploding_ratio * base):
            return self.found(a, self.run_from,
                              f"grad_norm rose to {g:.4g} (median of the last {len(a.grad.buf)}) at {a.where(a.at)}, "
                              f"{g / base:.0f}x its early median {base:.4g}, for {self.run} logged points")
        return None


class VanishingGradients(_GradDetector):
    symptom, needs = "vanishing-gradients", frozenset(("grad_norm", "loss"))

    def update(self, a, rec):
        t, c = self.t, a.loss
        if "grad_norm" in rec and _finite(rec["grad_norm"]) and a.grad.median is not None:
            g, base = a.grad.median, a.grad_baseline
            learned = c.first is not None and c.first > 0 and 1 - c.best / c.first >= t.plateau_progress
            tiny = g < t.vanishing_abs or (base is not None and g <= t.vanishing_ratio * base and not learned)
            if self._streak(a, tiny):
                ratio = f", {base / g:.3g}x below its early median {base:.3g}" if base and g > 0 else ""
                return self.found(a, self.run_from, f"grad_norm fell to {g:.3g} at {a.where(a.at)}{ratio} "
                                                    f"while the loss stayed near {c.value or 0:.4g}")
        # The global grad_norm is dominated by the last layer, which still learns the class prior while the
        # early layers get nothing: a loss that never leaves its starting value is the visible sign.
        if "loss" not in rec or c.value is None or c.first <= 0 or not a.lr_in_range():
            return None
        # as for a plateau: a slow (noise-adapted) average needs ~2 time constants before it can say "stuck"
        if c.n >= max(t.stuck_points, 2 / c.alpha_used) and a.epochs_since(a.first_at) >= t.stuck_epochs \
                and c.median_best >= c.first * (1 - t.stuck_band):
            grads = f"; grad_norm median {a.grad.median:.3g}" if a.grad.median is not None else ""
            return self.found(a, a.first_at,
                              f"smoothed loss never fell {_pct(t.stuck_band)} below its {c.first:.4g} at the start "
                              f"(lowest median {c.median_best:.4g}) over {c.n} logged points ({a.where(a.first_at)} to {a.where(a.at)}){grads}: no "
                              f"learning signal reaches the weights")
        return None


class LowGpuUtilization(Detector):
    symptom, needs = "low-gpu-utilization", frozenset(("gpu_util",))

    def __init__(self, t):
        super().__init__(t)
        self.skipped: int = 0
        self.pending: list[float] = []
        self.scale: float | None = None
        self.bins = [0] * 1001
        self.count = 0
        self.since = (0.0, None)

    def _add(self, value: float) -> None:
        pct = min(max(value * self.scale, 0.0), 100.0)
        self.bins[int(pct * 10 + 0.5)] += 1
        self.count += 1

    def _percentile(self, q: float) -> float:
        target, seen = q * self.count, 0
        for index, n in enumerate(self.bins):
            seen += n
            if seen >= target:
                return index / 10
        return 100.0

    def update(self, a, rec):
        value = rec["gpu_util"]
        if not _finite(value):
            return None
        if self.skipped < self.t.gpu_skip:
            self.skipped += 1
            self.since = a.at
            return None
        if self.scale is None:
            self.pending.append(value)
            if value > 1.0:
                self.scale = 1.0
            elif len(self.pending) < self.t.gpu_min_samples:
                return None
            else:
                self.scale = 100.0
            for v in self.pending:
                self._add(v)
            self.pending = []
        else:
            self._add(value)
        # percentiles cost a pass over the 1001 bins: judged every 500 samples while running
        if self.count >= self.t.gpu_min_samples and self.count % 500 == 0:
            return self._judge(a)
        return None

    def finish(self, a):
        if self.scale is None and self.pending:
            self.scale = 1.0 if max(self.pending) > 1.0 else 100.0
            for v in self.pending:
                self._add(v)
        return self._judge(a) if self.count >= self.t.gpu_min_samples else None

    def _judge(self, a):
        p95, p5 = self._percentile(0.95), self._percentile(0.05)
        if p95 < self.t.gpu_p95:
            return self.found(a, self.since, f"GPU utilisation p95 was {p95:.0f}% (< {self.t.gpu_p95:.0f}%) over "
                                             f"{self.count} samples: the GPU waits on something")
        if p5 < self.t.gpu_p5:
            return self.found(a, self.since, f"GPU utilisation fluctuates: p95 {p95:.0f}% but p5 {p5:.0f}% "
                                             f"(< {self.t.gpu_p5:.0f}%) over {self.count} samples")
        return None


def _entropy(p: float) -> float:
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


class MinorityClassIgnored(Detector):
    symptom, needs = "minority-class-ignored", frozenset(("accuracy", "val_accuracy"))

    def __init__(self, t):
        super().__init__(t)
        self.recent = {k: deque(maxlen=t.minority_points) for k in ("accuracy", "val_accuracy")}

    def update(self, a, rec):
        t = self.t
        for name, loss_name in (("val_accuracy", "val_loss"), ("accuracy", "loss")):
            value = rec.get(name)
            if value is None or not _finite(value):
                continue
            recent = self.recent[name]
            recent.append((value, a.at))
            loss = a.last_finite.get(loss_name)
            if len(recent) < t.minority_points or loss is None:
                continue
            values = [v for v, _ in recent]
            acc = sum(values) / len(values)
            if max(values) - min(values) > t.minority_flat or not t.minority_accuracy[0] <= acc <= t.minority_accuracy[1]:
                continue
            prior = _entropy(1 - acc)
            if abs(loss[0] - prior) <= t.minority_entropy_band * prior:
                start = recent[0][1]
                return self.found(a, start,
                                  f"{name} stayed at {acc:.3f} for {len(recent)} evaluations ({a.span(start, a.at)}), "
                                  f"the majority's share if every prediction is the majority class, and {loss_name} "
                                  f"{loss[0]:.4g} is the entropy {prior:.4g} of a {(1 - acc) * 100:.1f}% minority: "
                                  f"the model predicts the class prior")
        return None


DETECTORS: tuple[type[Detector], ...] = (
    NanLoss, DivergingLoss, ExplodingGradients, VanishingGradients, LossPlateau, OscillatingLoss,
    Overfitting, Underfitting, MinorityClassIgnored, LowGpuUtilization)
SYMPTOMS = tuple(d.symptom for d in DETECTORS)


_REMEMBERED = frozenset({"loss", "val_loss", "accuracy", "val_accuracy"})
_ACCURACIES = frozenset({"accuracy", "val_accuracy"})


class Analyzer:
    """Feeds records to every detector that has not fired yet; keeps the shared smoothed curves."""

    def __init__(self, thresholds: Thresholds | None = None, *, only: Iterable[str] | None = None) -> None:
        self.t = thresholds or Thresholds()
        wanted = set(only) if only is not None else None
        self.detectors = [d(self.t) for d in DETECTORS if wanted is None or d.symptom in wanted]
        self.findings: list[Finding] = []
        self.fired: set[str] = set()
        self._dispatch: dict[frozenset[str], list[Detector]] = {}
        self.loss = Curve(self.t.median_window, self.t.ema_alpha)
        self.grad = Curve(self.t.median_window, 1.0)
        self.grad_baseline: float | None = None
        self._early_grads: list[float] = []
        self.loss_max = -math.inf
        self.first_at: tuple[float, float | None] = (0.0, None)
        self.lr: float | None = None
        self.lr_peak = 0.0
        self.lr_rising = False
        self.best_accuracy: float | None = None
        self.last_finite: dict[str, tuple[float, tuple[float, float | None]]] = {}
        self.at: tuple[float, float | None] = (0.0, None)
        self.epoch_axis = False

    def lr_in_range(self) -> bool:
        """False during warmup and once the schedule has decayed the rate: a flat loss is expected there."""
        return self.lr is None or (not self.lr_rising and self.lr >= self.t.plateau_lr_floor * self.lr_peak)

    def epochs_since(self, start: tuple[float, float | None]) -> float:
        """Epochs between `start` and now; infinite when the log has no epochs (points decide alone)."""
        if start[1] is None or self.at[1] is None:
            return math.inf
        return self.at[1] - start[1] + (1 if self.epoch_axis else 0)

    def where(self, at: tuple[float, float | None]) -> str:
        step, epoch = at
        if epoch is not None and (self.epoch_axis or epoch == step):
            return f"epoch {_fmt(epoch)}"
        return f"step {_fmt(step)}" + (f" (epoch {epoch:.3g})" if epoch is not None else "")

    def span(self, start: tuple[float, float | None], end: tuple[float, float | None]) -> str:
        if start[1] is not None and end[1] is not None and (self.epoch_axis or start[1] == start[0]):
            return f"epochs {_fmt(start[1])}–{_fmt(end[1])}"
        return f"steps {_fmt(start[0])}–{_fmt(end[0])}"

    def update(self, rec: dict[str, float]) -> list[Finding]:
        """New findings for one record (`step` required, every metric optional)."""
        step = rec["step"]
        epoch = rec.get("epoch")
        self.at = (step, epoch)
        if epoch is not None and epoch == step:
            self.epoch_axis = True
        loss = rec.get("loss")
        if loss is not None and _finite(loss):
            if self.loss.n == 0:
                self.first_at = self.at
            if self.loss.add(loss, self.at) is not None:
                self.loss_max = max(self.loss_max, self.loss.value)
        grad = rec.get("grad_norm")
        if grad is not None and _finite(grad):
            self.grad.add(grad, self.at)
            if self.grad_baseline is None and self.grad.median is not None:
                self._early_grads.append(self.grad.median)
                if len(self._early_grads) >= self.t.grad_baseline_points:
                    self.grad_baseline = sorted(self._early_grads)[len(self._early_grads) // 2]
        lr = rec.get("learning_rate")
        if lr is not None and _finite(lr):
            self.lr_rising = self.lr is not None and lr > self.lr * 1.0001
            self.lr, self.lr_peak = lr, max(self.lr_peak, lr)
        new: list[Finding] = []
        keys = frozenset(rec)
        interested = self._dispatch.get(keys)
        if interested is None:  # records of one log mostly share their keys: one lookup per record
            interested = self._dispatch[keys] = [d for d in self.detectors if not d.needs.isdisjoint(keys)]
        for detector in interested:
            finding = detector.update(self, rec)
            if finding:
                new.append(finding)
        for name, value in rec.items():
            if name in _REMEMBERED and _finite(value):
                self.last_finite[name] = (value, self.at)
                if name in _ACCURACIES and (self.best_accuracy is None or value > self.best_accuracy):
                    self.best_accuracy = value
        return self._record(new)

    def finish(self) -> list[Finding]:
        """Findings that can only be judged on the whole run (underfitting, GPU percentiles)."""
        return self._record([f for d in self.detectors if (f := d.finish(self))])

    def _record(self, new: list[Finding]) -> list[Finding]:
        if new:
            fired = {f.symptom for f in new}
            if fired & {"nan-loss", "diverging-loss"}:
                new = [f for f in new if f.symptom not in EXPLAINED_BY_DIVERGENCE]
                fired = {f.symptom for f in new} | EXPLAINED_BY_DIVERGENCE
            self.detectors = [d for d in self.detectors if d.symptom not in fired]
            self._dispatch.clear()
            self.fired |= fired
            self.findings.extend(new)
        return new


def run(records: Iterable[dict[str, float]], *, only: Iterable[str] | None = None,
        thresholds: Thresholds | None = None) -> list[Finding]:
    """Every finding on a whole series of records."""
    analyzer = Analyzer(thresholds, only=only)
    for rec in records:
        analyzer.update(rec)
    analyzer.finish()
    return analyzer.findings


def _one(symptom: str):
    def detect(records: Iterable[dict[str, float]], thresholds: Thresholds | None = None) -> Finding | None:
        found = run(records, only=[symptom], thresholds=thresholds)
        return found[0] if found else None
    detect.__name__ = symptom.replace("-", "_")
    detect.__doc__ = f"The {symptom} finding on these records, or None (thresholds: module docstring)."
    return detect


nan_loss = _one("nan-loss")
diverging_loss = _one("diverging-loss")
loss_plateau = _one("loss-plateau")
oscillating_loss = _one("oscillating-loss")
overfitting = _one("overfitting")
underfitting = _one("underfitting")
exploding_gradients = _one("exploding-gradients")
vanishing_gradients = _one("vanishing-gradients")
low_gpu_utilization = _one("low-gpu-utilization")
minority_class_ignored = _one("minority-class-ignored")


def with_thresholds(**changes: Any) -> Thresholds:
    return replace(Thresholds(), **changes)
