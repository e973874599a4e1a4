"""Consecutive records merged into one point, keeping what a point means: for logs too long to judge row by row.

A block of records becomes one record: each finite metric the mean of its
finite values in the block (as a Trainer averages the loss over logging_steps),
the step and epoch of the block's last row, `_rows` the rows it holds. A
non-finite value is an event, not a number to average: the block ends before
the row that holds it, that row passes through as it is, and the next block
starts after it. So an isolated inf grad_norm (dynamic loss scaling skipping a
step) stays one isolated event, three in a row stay three in a row, and a NaN
loss is seen at its own step, whatever the file size. Per-layer norms
(`layer_grad_norm`, a dict) are averaged name by name.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Iterator

Record = dict[str, Any]


def _finite(record: Record) -> bool:
    return all(not isinstance(v, float) or math.isfinite(v) for k, v in record.items() if k not in ("step", "epoch"))


class _Block:
    __slots__ = ("sums", "counts", "layers", "rows", "last")

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.layers: dict[str, list[float]] = {}
        self.rows = 0
        self.last: Record = {}

    def add(self, record: Record) -> None:
        for key, value in record.items():
            if key in ("step", "epoch"):
                continue
            if isinstance(value, dict):
                for name, norm in value.items():
                    total = self.layers.setdefault(name, [0.0, 0])
                    total[0] += norm
                    total[1] += 1
            elif key in self.sums:
                self.sums[key] += value
                self.counts[key] += 1
            else:
                self.sums[key], self.counts[key] = value, 1
        self.rows += 1
        self.last = record

    def record(self) -> Record:
        out: Record = {k: v / self.counts[k] for k, v in self.sums.items()}
        if self.layers:
            out["layer_grad_norm"] = {name: s / n for name, (s, n) in self.layers.items()}
        out["step"], out["_rows"] = self.last["step"], self.rows
        if "epoch" in self.last:
            out["epoch"] = self.last["epoch"]
        return out


def blocks(records: Iterable[Record], size: int) -> Iterator[Record]:
    """`records` merged `size` at a time; a record with a non-finite metric passes through on its own."""
    block = _Block()
    for record in records:
        if not _finite(record):
            if block.rows:
                yield block.record()
                block = _Block()
            yield {**record, "_rows": 1}
            continue
        block.add(record)
        if block.rows == size:
            yield block.record()
            block = _Block()
    if block.rows:
        yield block.record()
