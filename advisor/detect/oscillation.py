"""oscillating-loss: the loss keeps swinging up and down by a large share of its level, epoch after epoch.

Oscillation is the curve's variability at the scale of epochs, so it is not
judged against a noise estimate taken from that same variability. Two series
are watched: the validation loss, one value per evaluation (a validation
zig-zag), and the training loss summarised per segment: its mean (without the
lowest and highest value) over each epoch where the log has epochs (a Keras CSV
row is one), else over every 10 logged points. A turn is a change of direction whose swing from the
last extreme is >= 20% of the level; a segment that averages several points
must also move by 3x (`noise_k`) the spread of the difference of two such
averages (from the per-point noise and sqrt(points)), which a real swing
passes and noise does not; and every swing must be more than a negligible change
(`negligible_loss` of the training loss at the start) and undo a tenth of the
fall of the training loss from its start to its best (`oscillation_progress`). 4 turns
within the last 10 values is oscillation: AUTOTRAINER's `ol_judge` counts
accuracy swings >= 0.03 on >= 20% of the epochs
(https://github.com/shiningrain/AUTOTRAINER/blob/main/AutoTrainer/utils/monitor.py),
and each swing is two turns.
"""

from __future__ import annotations

import math
from collections import deque

from advisor.detect.base import Detector
from advisor.detect.finding import Position, percent


class OscillatingLossThresholds:
    SHARES = ("oscillation_progress",)  # fractions: at most 1 (catalog.compose checks)
    oscillation_swing: float = 0.2  # of the loss's level (AUTOTRAINER: accuracy swings >= 0.03)
    oscillation_window: int = 10  # values of the watched series (evaluations, epochs or segments)
    oscillation_turns: int = 4  # changes of direction within the window (AUTOTRAINER: swings on >= 20% of epochs)
    oscillation_segment: int = 10  # logged points per training-loss segment where the log has no epochs
    # every swing also undoes this share of what the training loss has fallen since its start (to its best): a
    # loss at 0.01 after a start at 0.7 that moves to 0.05 and back is a swing of 400% of its level, but on the
    # curve as plotted (linear axis) a flat line near 0 (a tolerance, not a citation)
    oscillation_progress: float = 0.1


class Turns:
    """Changes of direction of one series, each by a swing >= `swing` x the level (and >= `floor`)."""

    def __init__(self, swing: float, window: int) -> None:
        self.swing, self.window = swing, window
        self.direction, self.extreme = 0, None
        self.index = 0
        self.turns: deque[tuple[int, Position]] = deque()

    def add(self, value: float, at: Position, floor: float = 0.0) -> int:
        """Turns within the window after `value`."""
        self.index += 1
        if self.extreme is None or not math.isfinite(value):
            self.extreme = value if math.isfinite(value) else self.extreme
            return len(self.turns)
        moved = value - self.extreme
        big = self.extreme > 0 and abs(moved) >= max(self.swing * self.extreme, floor)
        if self.direction == 0:
            if big:
                self.direction, self.extreme = (1 if moved > 0 else -1), value
        elif moved * self.direction >= 0:
            self.extreme = value  # further the same way: a new extreme
        elif big:
            self.direction, self.extreme = -self.direction, value
            self.turns.append((self.index, at))
        while self.turns and self.turns[0][0] <= self.index - self.window:
            self.turns.popleft()
        return len(self.turns)


def _trimmed_mean(points: list[float]) -> float:
    """The mean without the lowest and highest value (from 5 points on): an isolated spike does not swing it,
    and unlike a median it does not alias a fast periodic wobble into a slow one."""
    if len(points) < 5:
        return sum(points) / len(points)
    return (sum(points) - min(points) - max(points)) / (len(points) - 2)


class OscillatingLoss(Detector):
    symptom, needs = "oscillating-loss", frozenset(("loss", "val_loss"))
    thresholds = OscillatingLossThresholds

    def __init__(self, t):
        super().__init__(t)
        self.val = Turns(t.oscillation_swing, t.oscillation_window)
        self.train = Turns(t.oscillation_swing, t.oscillation_window)
        self.segment: list[float] = []
        self.segment_epoch: float | None = None
        self.segment_at: Position = (0.0, None)

    def update(self, s, rec):
        t = self.t
        val = rec.get("val_loss")
        if val is not None and math.isfinite(val) and self.val.add(val, s.at, self._floor(s)) >= t.oscillation_turns:
            return self._found(s, "val_loss", self.val, "evaluations")
        loss = rec.get("loss")
        if loss is None or not math.isfinite(loss):
            return None
        epoch = s.at[1]
        key = math.floor(epoch) if epoch is not None else None
        # a new segment starts with each epoch, or every `oscillation_segment` points where there are no epochs
        if self.segment and (key != self.segment_epoch if key is not None else
                             len(self.segment) >= t.oscillation_segment):
            found = self._close_segment(s)
            if found:
                return found
        if not self.segment:
            self.segment_at, self.segment_epoch = s.at, key
        self.segment.append(loss)
        if s.epoch_axis and key is not None:  # one row per epoch: each row is its own segment
            return self._close_segment(s)
        return None

    def _close_segment(self, s):
        points, n = self.segment, len(self.segment)
        # the difference of two segment means of n noisy points spreads by about sqrt(2) x 1.25 x 1.25 = 2.2 x
        # the mean deviation / sqrt(n) (1.25: a normal's sd / mean deviation, and the trimming's loss of
        # efficiency, generously): a swing counts only at noise_k times that
        floor = max(self.t.noise_k * 2.2 * s.loss.noise / math.sqrt(n) if n > 1 else 0.0, self._floor(s))
        value = _trimmed_mean(points)
        at = self.segment_at
        self.segment = []
        if self.train.add(value, at, floor) >= self.t.oscillation_turns:
            unit = "epochs" if s.at[1] is not None else f"segments of {self.t.oscillation_segment} logged points"
            return self._found(s, "training loss", self.train, unit)
        return None

    def _floor(self, s):
        """The smallest swing of either series: more than a negligible change, and a share of the progress."""
        c = s.loss
        progress = c.first - c.best if c.first is not None else 0.0
        return max(s.negligible(), self.t.oscillation_progress * progress)

    def _found(self, s, what, turns, unit):
        t = self.t
        first = turns.turns[0][1]
        return self.found(first, f"the {what} changed direction {len(turns.turns)} times within "
                                 f"{t.oscillation_window} {unit}, each swing >= {percent(t.oscillation_swing)} of "
                                 f"its level ({s.where(first)} to {s.where(s.at)}, last extreme {turns.extreme:.4g})")
