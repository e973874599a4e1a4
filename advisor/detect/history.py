"""A bounded, time-ordered summary of one metric over the whole run: the robust references detectors compare with.

References are never "the first few points" (they are the init transient, and an explosion or a spike among
them would hide every later one). `History` keeps at most LIMIT (step, value) entries spread over the whole
run (neighbours merged pairwise when full, the stride doubling), so it costs the same for 100 points and
for 10,000,000, and it leaves out the last `exclude` values: the window a detector is testing is never part
of the reference it is tested against.

    median()          the median of the run so far, the tested window left out
    at_share(q)       the value at q of the elapsed span (q=0.1: a tenth of the way in), for "how far has it
                      fallen since the start" without the start's own abnormal points
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque

LIMIT = 128  # entries kept; a median of 128 summaries is stable to a few percent


class History:
    __slots__ = ("exclude", "skip", "seen", "recent", "steps", "values", "stride", "_sum", "_count", "_step",
                 "_median")

    def __init__(self, exclude: int, skip: int = 0) -> None:
        self.exclude, self.skip = exclude, skip  # the window under test; the init transient (warm-up values)
        self.seen = 0
        self.recent: deque[tuple[float, float]] = deque()
        self.steps: list[float] = []
        self.values: list[float] = []
        self.stride = 1
        self._sum, self._count, self._step = 0.0, 0, 0.0
        self._median: float | None = None

    def add(self, step: float, value: float) -> None:
        self.seen += 1
        if self.seen <= self.skip:
            return
        self.recent.append((step, value))
        if len(self.recent) <= self.exclude:
            return
        step, value = self.recent.popleft()
        self._sum += value
        self._count += 1
        self._step = step
        if self._count < self.stride:
            return
        self.steps.append(self._step)
        self.values.append(self._sum / self._count)
        self._sum, self._count, self._median = 0.0, 0, None
        if len(self.values) >= LIMIT:
            v, s = self.values, self.steps
            self.values = [(a + b) / 2 for a, b in zip(v[::2], v[1::2])]
            self.steps = s[1::2]
            self.stride *= 2

    def __len__(self) -> int:
        return len(self.values)

    def median(self) -> float | None:
        """The median of the summarised run (the tested window left out); None before anything is summarised."""
        if self._median is None and self.values:
            ordered = sorted(self.values)
            self._median = ordered[len(ordered) // 2]
        return self._median

    def at_share(self, share: float, now: float) -> float | None:
        """The summarised value at `share` of the span from the first summarised step to `now`."""
        if not self.values:
            return None
        target = self.steps[0] + share * (now - self.steps[0])
        return self.values[min(bisect_left(self.steps, target), len(self.values) - 1)]
