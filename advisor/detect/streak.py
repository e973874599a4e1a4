"""A run of logged points in a row that meet a condition: the one counter every "for N points" rule uses."""

from __future__ import annotations

from advisor.detect.finding import Position


class Streak:
    """How many points in a row met a condition, and where the run began."""

    __slots__ = ("count", "since")

    def __init__(self) -> None:
        self.count, self.since = 0, (0.0, None)

    def update(self, condition: bool, at: Position, needed: int) -> bool:
        """Count this point; True once `needed` points in a row met the condition."""
        if not condition:
            self.count = 0
            return False
        if self.count == 0:
            self.since = at
        self.count += 1
        return self.count >= needed
