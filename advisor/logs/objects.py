"""JSON records (a Trainer's log_history, an array of records) made detector records a run at a time, column by column.

A run (jsonstream.Scanner.runs: the entries the reading window held, decoded at once) whose entries
are plain, one object each of numbers whose keys name one column per metric (no per-layer norms,
no `null`, a finite step on every entry, a metric on every entry), is read column by column: each
key's values taken in C, their types and finiteness checked per column, and merged block by block
(merge.Merger) where the log is long. Any other run is read entry by entry
(plain.records_from_objects), which names the line of a value that is not a number.
"""

from __future__ import annotations

import operator
from itertools import compress, repeat
from pathlib import Path
from typing import Any, Iterable, Iterator

from advisor.logs import columns, jsonstream, merge, plain

Run = tuple[int, list[Any], "str | None"]  # (line of the first entry, the entries, their text or None)
_ABSENT = object()  # a key an entry does not have (not `null`, which an entry may write for a missing loss)
_NUMBERS = frozenset((float, int))
Plan = tuple[tuple[str, str], ...]  # (metric, key)


def records(runs: Iterable[Run], path: Path, block: int = 1) -> Iterator[plain.Record]:
    """Records of runs of entries; `block` > 1: merged `block` at a time, as merge.blocks merges them."""
    merger = merge.Merger(block) if block > 1 else None
    plans: dict[frozenset[str], Plan | None] = {}
    count = 0  # entries so far: the row count a record without a step is numbered by
    for line, entries, text in runs:
        found = _columns(entries, plans)
        if found is None:
            pairs = jsonstream.lines_of(text, line) if text is not None else zip(repeat(line), entries)
            each = plain.records_from_objects(pairs, path, start=count)
            yield from merger.records(each) if merger else each
        elif merger:
            yield from merger.columns(*found)
        else:
            yield from merge.records_of(*found[:3])
        count += len(entries)
    if merger:
        yield from merger.flush()


def _columns(entries: list[Any], plans: dict[frozenset[str], Plan | None]) -> tuple[Any, ...] | None:
    """(keys, columns, marks, rows) of a run that can be read column by column, else None."""
    if set(map(type, entries)) != {dict}:
        return None
    names = frozenset().union(*entries)
    plan = plans.get(names, _ABSENT)
    if plan is _ABSENT:
        plan = plans[names] = _plan(names)
    if plan is None:
        return None
    keys, cols, marks = [], [], []
    for metric, key in plan:
        col = list(map(operator.methodcaller("get", key, _ABSENT), entries))
        mark = list(map(operator.is_not, col, repeat(_ABSENT))) if _ABSENT in col else None
        values = col if mark is None else list(compress(col, mark))
        types = set(map(type, values))
        if not types <= _NUMBERS or (int in types and mark is not None):
            return None  # null, a bool, a string, an integer where some entries lack the key: entry by entry
        if int in types:
            try:
                col = values = list(map(float, col))
            except OverflowError:
                return None
        if metric == "step" and mark is not None:
            return None  # an entry without a step is numbered by its place: entry by entry
        keys.append(metric)
        cols.append(col)
        marks.append(mark)
    if not merge.hold_metrics(keys, marks):
        return None  # an entry with no metric: not a point, which the entry-by-entry path drops
    if not all(map(merge.finite, cols, marks)):
        return None  # a NaN or an inf: an event the merge keeps on its own (or a bad step), entry by entry
    return keys, cols, marks, len(entries)


def _plan(names: frozenset[str]) -> Plan | None:
    """The key each metric is read from, when each metric has one key among `names` and none is per layer."""
    chosen: dict[str, str] = {}
    for name in sorted(names):
        if columns.layer(name):
            return None
        found = columns.classify(name)
        if found is None:
            continue
        if found[0] in chosen:
            return None  # two keys for one metric: which one an entry holds decides, entry by entry
        chosen[found[0]] = name
    return tuple(chosen.items()) if "step" in chosen else None
