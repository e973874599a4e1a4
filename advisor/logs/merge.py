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
from itertools import compress, repeat
from operator import itemgetter
from typing import Any, Iterable, Iterator, Sequence

from advisor.logs.columns import AXES, LAYER_GRAD_NORM as LAYERS

Record = dict[str, Any]


def _finite(record: Record) -> bool:
    try:  # the common record, all numbers: their sum is finite exactly when each is (or it overflowed: see below)
        if math.isfinite(sum(record.values())):
            return True
    except TypeError:  # per-layer norms, a dict
        pass
    return all(not isinstance(v, float) or math.isfinite(v) for k, v in record.items() if k not in ("step", "epoch"))


class _Block:
    """The records of one block, kept until it is full: their means are taken then, column by column where every
    record has the same keys (the common log), else key by key."""

    __slots__ = ("records",)

    def __init__(self) -> None:
        self.records: list[Record] = []

    @property
    def rows(self) -> int:
        return len(self.records)

    def add(self, record: Record) -> None:
        self.records.append(record)

    def record(self) -> Record:
        records, last = self.records, self.records[-1]
        shapes = set(map(tuple, records))
        keys = shapes.pop() if len(shapes) == 1 else ()
        if keys and LAYERS not in keys:  # step and epoch are left out of the merged record
            out: Record = {k: sum(map(itemgetter(k), records)) / len(records) for k in keys if k not in AXES}
        else:
            out = _means(records)
        out["step"], out["_rows"] = last["step"], len(records)
        if "epoch" in last:
            out["epoch"] = last["epoch"]
        return out


def _means(records: list[Record]) -> Record:
    """Each key's mean over the records that hold it; per-layer norms (a dict) name by name."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    layers: dict[str, list[float]] = {}
    for record in records:
        for key, value in record.items():
            if isinstance(value, dict):
                for name, norm in value.items():
                    total = layers.setdefault(name, [0.0, 0])
                    total[0] += norm
                    total[1] += 1
            elif key in sums:
                sums[key] += value
                counts[key] += 1
            else:
                sums[key], counts[key] = value, 1
    out: Record = {k: v / counts[k] for k, v in sums.items() if k not in AXES}
    if layers:
        out[LAYERS] = {name: s / n for name, (s, n) in layers.items()}
    return out


def blocks(records: Iterable[Record], size: int) -> Iterator[Record]:
    """`records` merged `size` at a time; a record with a non-finite metric passes through on its own."""
    merger = Merger(size)
    yield from merger.records(records)
    yield from merger.flush()


class Merger:
    """`blocks` fed a part at a time, records or columns in any mix: the blocks fall where one stream of the
    same records would put them, and the rows of columns between them are merged column by column."""

    def __init__(self, size: int) -> None:
        self.size, self.block = size, _Block()

    def records(self, records: Iterable[Record]) -> Iterator[Record]:
        size = self.size
        for record in records:
            if not _finite(record):
                yield from self.flush()
                yield {**record, "_rows": 1}
                continue
            self.block.add(record)
            if self.block.rows == size:
                yield from self.flush()

    def columns(self, keys: Sequence[str], cols: Sequence[list[Any]], present: Sequence[list[bool] | None],
                rows: int) -> Iterator[Record]:
        """Rows given as columns of finite values (`present` as merge_columns takes it), each holding a metric."""
        head = min((self.size - self.block.rows) % self.size, rows)  # what completes the block begun earlier
        body = head + (rows - head) // self.size * self.size
        yield from self.records(records_of(keys, cols, present, 0, head))
        if body > head:
            yield from merge_columns(keys, [col[head:body] for col in cols],
                                     [mark and mark[head:body] for mark in present], self.size)
        yield from self.records(records_of(keys, cols, present, body, rows))

    def flush(self) -> Iterator[Record]:
        if self.block.rows:
            yield self.block.record()
            self.block = _Block()


def records_of(keys: Sequence[str], cols: Sequence[Sequence[Any]], present: Sequence[Sequence[bool] | None],
               start: int = 0, end: int | None = None) -> list[Record]:
    """The records of rows start..end of columns; `present[i]` marks the rows where column i has a value (None:
    every row)."""
    end = len(cols[0]) if end is None else end
    whole = start == 0 and end == len(cols[0])
    full = [i for i, mark in enumerate(present) if mark is None]
    if not full:
        records: list[Record] = [{} for _ in range(start, end)]
    else:  # built in C: a dict of each row's zip with the keys
        rows = zip(*[cols[i] if whole else cols[i][start:end] for i in full])
        records = list(map(dict, map(zip, repeat([keys[i] for i in full]), rows)))
    for i, mark in enumerate(present):
        if mark is not None:
            key, col = keys[i], cols[i]
            for j in compress(range(start, end), mark[start:end]):
                records[j - start][key] = col[j]
    return records


def finite(col: Sequence[Any], mark: Sequence[bool] | None) -> bool:
    """Every value of a column (where `mark` marks one) is finite: exactly when their sum is (a NaN or an inf
    makes it NaN or inf; finite values that overflow make it inf too, which only sends the rows down the
    record path)."""
    return math.isfinite(sum(col if mark is None else compress(col, mark), 0.0))


def hold_metrics(keys: Sequence[str], present: Sequence[Sequence[bool] | None]) -> bool:
    """Every row has a value in a column that is no axis (`present` as merge_columns takes it)."""
    marks = [mark for key, mark in zip(keys, present) if key not in AXES]
    return bool(marks) and (any(mark is None for mark in marks) or all(map(any, zip(*marks))))


def merge_columns(keys: Sequence[str], cols: Sequence[Sequence[float]], present: Sequence[Sequence[bool] | None],
                  size: int) -> list[Record] | None:
    """What `blocks(records, size)` makes of a batch of rows whose values are all finite, computed column by
    column (sums of slices, in C), or None when a row holds no metric (the record path drops such rows).
    `present[i]` marks the rows where column i has a value (None: every row)."""
    if not hold_metrics(keys, present):
        return None
    metrics = [(k, col, mark) for k, col, mark in zip(keys, cols, present) if k not in AXES]
    step = cols[keys.index("step")]
    epoch = keys.index("epoch") if "epoch" in keys else None
    rows = len(step)
    out = []
    for start in range(0, rows, size):
        end = min(start + size, rows)
        record: Record = {}
        for key, col, mark in metrics:
            if mark is None:
                record[key] = sum(col[start:end]) / (end - start)
            else:
                values = list(compress(col[start:end], mark[start:end]))
                if values:
                    record[key] = sum(values) / len(values)
        record["step"], record["_rows"] = step[end - 1], end - start
        if epoch is not None and (present[epoch] is None or present[epoch][end - 1]):
            record["epoch"] = cols[epoch][end - 1]
        out.append(record)
    return out
