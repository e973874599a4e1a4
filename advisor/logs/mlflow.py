"""MLflow file store: `mlruns/<experiment>/<run>/metrics/<key>`, one file per metric key.

`mlflow.log_metric(key, value, step)` appends the line `<timestamp ms> <value> <step>` to the key's
file (a key with `/` is a path under metrics/); MLflow's own reader takes 2 or 3 fields, the step
being 0 when absent (mlflow/store/tracking/file_store.py, `_get_metric_from_line`). The files are
merged by step as they stream (one line of each open at a time), so consecutive lines of one step
become one record.
"""

from __future__ import annotations

import heapq
import os
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Iterator

from advisor import files
from advisor.errors import InputError
from advisor.logs import columns, plain, source

MAX_KEYS = 4096  # open files at once; a run logs tens of keys


def metric_files(run: Path) -> list[tuple[str, Path]]:
    """(key, file) for each metric of a run folder, keys as logged (`train/loss`)."""
    root = run / "metrics"
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if files.is_regular(path):
                found.append((path.relative_to(root).as_posix(), path))
    return found


def read(path: Path, notes: plain.Notes | None = None) -> Iterator[plain.Record]:
    found = metric_files(path)
    chosen = columns.choose([key for key, _ in found])  # of `loss` and `train/loss`, the better-ranked file
    keyed = [(found[index][0], found[index][1], metric) for metric, index in chosen.items() if metric in columns.METRICS]
    keyed += [(key, file, (columns.LAYER_GRAD_NORM, name)) for key, file in found
              if (name := columns.layer(key)) is not None]
    if len(keyed) > MAX_KEYS:
        raise InputError("log", f"{files.shown(path)}: more than {MAX_KEYS} metric files")
    with ExitStack() as stack:
        streams = [_points(stack.enter_context(source.open_text(file)), file, key, found, notes)
                   for key, file, found in keyed]
        record: plain.Record = {}
        for step, _, metric, layer, value in heapq.merge(*streams, key=lambda p: p[0]):
            if record and step != record["step"]:
                yield record
                record = {}
            record["step"] = step
            if layer is None:
                record[metric] = value
            else:
                record.setdefault(columns.LAYER_GRAD_NORM, {})[layer] = value
        if record:
            yield record


def _points(handle: IO[str], file: Path, key: str, target: str | tuple[str, str],
            notes: plain.Notes | None) -> Iterator[tuple[float, int, str, str | None, float]]:
    """(step, line, metric, layer or None, value) for each line of one metric file."""
    lines = source.Lines(handle, file)
    metric, layer = target if isinstance(target, tuple) else (target, None)
    number = 0
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (2, 3):
            raise plain.fail(file, number, f"{len(parts)} fields; an MLflow metric line is `timestamp value step`")
        try:
            value = float(parts[1])
            step = float(int(parts[2])) if len(parts) == 3 else 0.0
        except ValueError:
            raise plain.fail(file, number, f"{line.strip()[:40]!r} is not `timestamp value step`") from None
        yield step, number, metric, layer, value
    if lines.unterminated.strip():
        plain.unterminated(notes, file, number + 1, "that point was not read")
