"""What every detector may read about the run so far, kept once for all of them.

The Analyzer updates a RunState with each record (`observe` before the
detectors see it, `remember` after) and passes it to each detector; detectors
only read it. It holds a few numbers, never the history: the smoothed loss and
grad_norm curves, the early grad_norm baseline, the learning-rate schedule, the
last finite value of the metrics detectors compare against, and the position.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.detect.finding import Position, Record, shown
from advisor.detect.smoothing import Curve

_REMEMBERED = frozenset({"loss", "val_loss", "accuracy", "val_accuracy"})
_ACCURACIES = frozenset({"accuracy", "val_accuracy"})


class StateThresholds:
    # the early grad_norm median that exploding- and vanishing-gradients compare against: the median of the
    # first 5 smoothed grad_norm values
    grad_baseline_points: int = 5


class RunState:
    """The shared running statistics, read by the detectors, written by the Analyzer only."""

    def __init__(self, t: Any) -> None:  # advisor.detect.Thresholds
        self.t = t
        self.loss = Curve(t.median_window, t.ema_alpha)
        self.grad = Curve(t.median_window, 1.0)
        self.grad_baseline: float | None = None
        self._early_grads: list[float] = []
        self.first_at: Position = (0.0, None)  # where the first finite loss was logged
        self.lr: float | None = None
        self.lr_peak = 0.0
        self.lr_rising = False
        self.best_accuracy: float | None = None
        self.last_finite: dict[str, tuple[float, Position]] = {}
        self.at: Position = (0.0, None)
        self.epoch_axis = False

    def observe(self, rec: Record) -> None:
        """Position, curves and schedule after `rec`: what the detectors judge it with."""
        step = rec["step"]
        epoch = rec.get("epoch")
        self.at = (step, epoch)
        if epoch is not None and epoch == step:
            self.epoch_axis = True
        loss = rec.get("loss")
        if loss is not None and math.isfinite(loss):
            if self.loss.n == 0:
                self.first_at = self.at
            self.loss.add(loss, self.at)
        grad = rec.get("grad_norm")
        if grad is not None and math.isfinite(grad):
            self.grad.add(grad, self.at)
            if self.grad_baseline is None and self.grad.median is not None:
                self._early_grads.append(self.grad.median)
                if len(self._early_grads) >= self.t.grad_baseline_points:
                    self.grad_baseline = sorted(self._early_grads)[len(self._early_grads) // 2]
        lr = rec.get("learning_rate")
        if lr is not None and math.isfinite(lr):
            self.lr_rising = self.lr is not None and lr > self.lr * 1.0001
            self.lr, self.lr_peak = lr, max(self.lr_peak, lr)

    def remember(self, rec: Record) -> None:
        """After the detectors saw `rec`: so they compare each value with the previous one, not itself."""
        for name, value in rec.items():
            if name in _REMEMBERED and math.isfinite(value):
                self.last_finite[name] = (value, self.at)
                if name in _ACCURACIES and (self.best_accuracy is None or value > self.best_accuracy):
                    self.best_accuracy = value

    def lr_in_range(self, floor: float) -> bool:
        """False during warmup and once the schedule has decayed the rate below `floor` x its peak: a flat
        loss is expected there."""
        return self.lr is None or (not self.lr_rising and self.lr >= floor * self.lr_peak)

    def epochs_since(self, start: Position) -> float:
        """Epochs between `start` and now; infinite when the log has no epochs (points decide alone)."""
        if start[1] is None or self.at[1] is None:
            return math.inf
        return self.at[1] - start[1] + (1 if self.epoch_axis else 0)

    def where(self, at: Position) -> str:
        step, epoch = at
        if epoch is not None and (self.epoch_axis or epoch == step):
            return f"epoch {shown(epoch)}"
        return f"step {shown(step)}" + (f" (epoch {epoch:.3g})" if epoch is not None else "")

    def span(self, start: Position, end: Position) -> str:
        if start[1] is not None and end[1] is not None and (self.epoch_axis or start[1] == start[0]):
            return f"epochs {shown(start[1])}–{shown(end[1])}"
        return f"steps {shown(start[0])}–{shown(end[0])}"
