"""The smoother every loss and gradient detector judges: a running median, then a noise-adapted average.

Curves are smoothed before they are judged, so noisy mini-batch losses raise no
false alarms: a running median of 5 points (an isolated spike, up to 2 points in
5, never moves it), then an exponential average, alpha 0.3 for clean curves and
smaller for noisy ones (down to 0.05), chosen so that the smoothed curve's own
noise stays near 1% of its level where that is possible. The noise is the mean
deviation over the last ~40 points, from second differences so that a trend is
not taken for noise. The value "at the start" is the median of the first 3
logged values.
"""

from __future__ import annotations

from collections import deque

from advisor.detect.finding import Position

NOISE_TARGET = 0.01
ALPHA_FLOOR = 0.05  # a ~40-point average at most: longer ones lag too far behind a real change


class SmoothingThresholds:
    SHARES = ("ema_alpha",)  # fractions: at most 1 (catalog.compose checks)
    median_window: int = 5  # an isolated spike (up to 2 points in 5) never moves the median
    ema_alpha: float = 0.3  # the average for clean curves; noisy ones get a smaller alpha (down to ALPHA_FLOOR)
    # logged values at the start left out of every reference (RunState's histories): the init transient, whose
    # loss and grad_norm are not what the run is later compared with
    warmup_points: int = 3
    # a rise or swing counts only when it is this many times the curve's noise (diverging-loss, oscillating-loss)
    noise_k: float = 3.0


class Curve:
    """Median-then-EMA smoothing of one metric, with its start and running best."""

    __slots__ = ("window", "alpha", "buf", "tail", "median", "value", "n", "first", "first_raw", "best", "best_at",
                 "last_at", "noise", "median_best", "alpha_used")

    def __init__(self, window: int, alpha: float) -> None:
        self.window, self.alpha = window, alpha
        self.buf: deque[float] = deque(maxlen=window)
        self.tail: deque[float] = deque(maxlen=3)  # for the noise, whatever the median's window
        self.median = self.value = self.first = self.best = None  # type: ignore[assignment]
        self.first_raw: float | None = None  # the first value as logged
        self.best_at: Position = (0.0, None)
        self.last_at: Position = (0.0, None)
        self.n = 0
        self.noise = 0.0
        self.median_best = None  # type: ignore[assignment]
        self.alpha_used = alpha

    def add(self, raw: float, at: Position) -> float | None:
        """The smoothed value after `raw`; None while fewer than 3 values were seen."""
        self.n += 1
        if self.n == 1:
            self.first_raw = raw
        self.buf.append(raw)
        self.tail.append(raw)
        self.last_at = at
        if self.n < 3:
            return None
        ordered = sorted(self.buf)
        self.median = ordered[len(ordered) // 2]
        # |second difference| / sqrt(6) estimates the noise's mean deviation while a trend, however steep,
        # cancels out; a running mean at first, then a slow EMA (~40 points) that follows the level
        b = self.tail
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
