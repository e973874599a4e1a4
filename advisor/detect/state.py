"""What every detector may read about the run so far, kept once for all of them.

The Analyzer updates a RunState with each record (`observe` before the
detectors see it, `remember` after) and passes it to each detector; detectors
only read it. It holds a few numbers, never the history: the smoothed loss and
grad_norm curves, their bounded summaries (history.py: the robust references,
which leave out the warm-up values and the window under test), the
learning-rate schedule, the last finite value of the metrics detectors compare
against, the findings so far, and the position.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from advisor.detect.finding import Finding, Position, Record, shown
from advisor.detect.history import History
from advisor.detect.smoothing import Curve

_REMEMBERED = frozenset({"loss", "val_loss", "accuracy", "val_accuracy"})
# training accuracies averaged for "the accuracy now": per mini-batch of 32 at chance (0.5) one spreads by 0.09,
# so the best of a few hundred passes 0.6 by luck; the mean of 20 spreads by 0.02
ACCURACY_TAIL = 20


# A stretch judged in epochs still needs this many logged points: fewer say nothing about a trend.
MIN_POINTS = 5


class StateThresholds:
    SHARES = ("reference_share", "negligible_loss")  # fractions: at most 1 (catalog.compose checks)
    # the grad_norm reference exploding- and vanishing-gradients compare against (the median of the whole run
    # so far, warm-up and tested window left out) needs this many summarised values first
    grad_baseline_points: int = 5
    # "the start" of the loss, for how far it has fallen: its value a tenth of the way into the run so far, so
    # neither the init transient nor an early drop to a trivial level counts as progress that later stalls
    reference_share: float = 0.1
    # a change of a loss smaller than this share of the training loss at the start is no change to act on: a
    # val_loss going from 0.0009 to 0.0012 after a start at 1.4 is a model at its best growing a little less
    # sure (a tolerance, not a citation); and a loss this close to 0 explains a gradient close to 0, as the
    # gradient of cross-entropy or squared error shrinks with the loss: convergence, not vanishing gradients
    negligible_loss: float = 0.01


class RunState:
    """The shared running statistics, read by the detectors, written by the Analyzer only."""

    def __init__(self, t: Any) -> None:  # advisor.detect.Thresholds
        self.t = t
        self.loss = Curve(t.median_window, t.ema_alpha)
        self.grad = Curve(t.median_window, 1.0)
        # summaries of the running medians, leaving out the tested windows: a loss streak (diverge_points) or a
        # grad_norm streak (grad_points)
        self.loss_history = History(t.diverge_points, t.warmup_points)
        self.grad_history = History(t.grad_points, t.warmup_points)
        self.found: dict[str, Finding] = {}  # symptom -> its finding (the Analyzer writes it)
        self.first_at: Position = (0.0, None)  # where the first finite loss was logged
        self.lr: float | None = None
        self.lr_peak = 0.0
        self.lr_rising = False
        # sum of the rate over the optimizer steps so far (each logged rate times the steps since the last one):
        # Adam moves each weight by about the rate at most per step (Kingma & Ba 2015, section 2.1), so this
        # bounds how far any weight can have moved
        self.lr_travel = 0.0
        self._lr_step: float | None = None
        self.train_accuracy: deque[float] = deque(maxlen=ACCURACY_TAIL)  # the last training accuracies
        self.last_finite: dict[str, tuple[float, Position]] = {}
        self.at: Position = (0.0, None)
        self.epoch_axis = False
        self._rows_with_epoch = 0

    def observe(self, rec: Record) -> None:
        """Position, curves and schedule after `rec`: what the detectors judge it with."""
        step = rec["step"]
        epoch = rec.get("epoch")
        self.at = (step, epoch)
        if epoch is not None:
            # one row per epoch (a Keras CSV: its step is the epoch) while every row agrees; one that does not
            # (step 1 at epoch 0.02) ends it for good
            self.epoch_axis = epoch == step and (self.epoch_axis or self._rows_with_epoch == 0)
            self._rows_with_epoch += 1
        loss = rec.get("loss")
        if loss is not None and math.isfinite(loss):
            if self.loss.n == 0:
                self.first_at = self.at
            if self.loss.add(loss, self.at) is not None:
                self.loss_history.add(step, self.loss.median)
        grad = rec.get("grad_norm")
        if grad is not None and math.isfinite(grad):
            self.grad.add(grad, self.at)
            if self.grad.median is not None:
                self.grad_history.add(step, self.grad.median)
        lr = rec.get("lr")
        if lr is not None and math.isfinite(lr):
            if self._lr_step is not None and step > self._lr_step:
                self.lr_travel += lr * (step - self._lr_step)
            self._lr_step = step
            self.lr_rising = self.lr is not None and lr > self.lr * 1.0001
            self.lr, self.lr_peak = lr, max(self.lr_peak, lr)

    def remember(self, rec: Record) -> None:
        """After the detectors saw `rec`: so they compare each value with the previous one, not itself."""
        for name, value in rec.items():
            if name in _REMEMBERED and math.isfinite(value):
                self.last_finite[name] = (value, self.at)
                if name == "accuracy":
                    self.train_accuracy.append(value)

    def accuracy_now(self) -> float | None:
        """How well the model classifies at this point: the last validation accuracy or the mean of the last
        `ACCURACY_TAIL` training accuracies, the higher; None where neither is logged."""
        values = [self.last_finite["val_accuracy"][0]] if "val_accuracy" in self.last_finite else []
        if self.train_accuracy:
            values.append(sum(self.train_accuracy) / len(self.train_accuracy))
        return max(values) if values else None

    @property
    def grad_baseline(self) -> float | None:
        """The median grad_norm of the run so far, the warm-up and the tested window left out."""
        if len(self.grad_history) < self.t.grad_baseline_points:
            return None
        return self.grad_history.median()

    def loss_reference(self) -> float | None:
        """The loss "at the start" for judging progress: its level `reference_share` of the way into the run."""
        ref = self.loss_history.at_share(self.t.reference_share, self.at[0])
        return ref if ref is not None else self.loss.first

    def negligible(self) -> float:
        """The smallest change of a loss worth a finding (`negligible_loss` x the training loss at the start)."""
        first = self.loss.first
        return self.t.negligible_loss * first if first is not None and first > 0 else 0.0

    def converged(self) -> bool:
        """The training loss is near 0 (below `negligible()`): its gradient is near 0 with it, so neither a tiny
        grad_norm nor one many times the run's (tiny) median says anything about the gradients' health. The
        running median of the last few losses decides as well as the smoothed curve: after a fall that fast (a
        loss of 600 at a too-high rate, then 0 from the next step on) the average still carries the spikes."""
        c, floor = self.loss, self.negligible()
        return c.value is not None and min(c.value, c.median) < floor

    def long_enough(self, start: Position, points: int, min_points: int, min_epochs: float) -> bool:
        """A stretch from `start` of `points` logged points: judged in epochs where the log has them (a Keras
        CSV has one row per epoch), else in logged points."""
        if start[1] is not None and self.at[1] is not None:
            return points >= MIN_POINTS and self.epochs_since(start) >= min_epochs
        return points >= min_points

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
