"""Plain CSV and JSON Lines logs: one row (or object) per logged step.

Rows may be sparse (validation metrics only on some rows); a missing, empty,
`NA`, `None` or `null` cell is "not logged". `nan` and `inf` are kept: they
are what the nan-loss detector looks for. Any other text in a metric column is
an error naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Iterable, Iterator

from advisor.errors import InputError
from advisor.files import shown
from advisor.logs import columns, source

MISSING = frozenset({"", "na", "n/a", "none", "null", "-"})
Record = dict[str, float]


def fail(path: Path, line: int, message: str) -> InputError:
    return InputError("log", f"{path}:{line}: {message}")


def number(raw: Any, path: Path, line: int, column: str) -> float | None:
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        return raw
    if isinstance(raw, int):
        try:
            return float(raw)
        except OverflowError:  # past 1.8e308: as a CSV cell `1e999` reads, infinite
            return math.inf if raw > 0 else -math.inf
    if not isinstance(raw, str):
        raise fail(path, line, f"column {shown(column)!r} holds a {type(raw).__name__}, not a number")
    try:
        return float(raw)
    except ValueError:
        if raw.strip().lower() in MISSING:
            return None
        raise fail(path, line, f"column {shown(column)!r} holds {raw[:40]!r}, not a number "
                               f"(write numbers, nan/inf, or leave the cell empty)") from None


def _axis(record: Record, counter: int, path: Path, line: int, *, by_epoch: bool = False) -> bool:
    """Fill `step` (the epoch, or else the row count, when the log has none); False for a record with no metric."""
    for axis in columns.AXES:
        value = record.get(axis)
        if value is not None and not math.isfinite(value):
            raise fail(path, line, f"{axis} is {value}, not a finite number")
    if "step" not in record:
        record["step"] = record["epoch"] if by_epoch and "epoch" in record else float(counter)
    return len(record) > 1 + ("epoch" in record)


def sniff_delimiter(header: str) -> str:
    return max((",", "\t", ";"), key=header.count)


def read_csv(path: Path, *, step_from_epoch: bool = False) -> Iterator[Record]:
    """Stream records from a CSV whose first line is a header.

    `step_from_epoch`: the log has one row per epoch (Keras), so the epoch is
    the x axis.
    """
    with source.open_text(path) as handle:
        rows = source.lines(handle, path)
        header_line = next(rows, "")
        if not header_line.strip():
            raise fail(path, 1, "the first line must be a header naming the columns")
        reader = csv.reader(rows, delimiter=sniff_delimiter(header_line), strict=True)
        try:
            names = next(csv.reader([header_line], delimiter=sniff_delimiter(header_line), strict=True))
        except csv.Error as exc:
            raise fail(path, 1, f"unreadable header: {exc}") from None
        chosen = columns.choose(names)
        if not set(chosen) & set(columns.METRICS):
            raise fail(path, 1, f"no metric column among {', '.join(map(repr, names[:12]))}; "
                                f"name one of {columns.known_names()}")
        width = len(names)
        pairs = [(metric, index, names[index]) for metric, index in chosen.items()]
        count = 0
        try:
            for row in reader:
                line = reader.line_num + 1
                if not row:
                    continue
                if len(row) > width:
                    raise fail(path, line, f"{len(row)} fields but the header names {width}")
                record: Record = {}
                for metric, index, name in pairs:
                    if index < len(row):
                        cell = row[index]
                        if cell:
                            try:
                                record[metric] = float(cell)  # the common case, without a call
                            except ValueError:
                                value = number(cell, path, line, name)
                                if value is not None:
                                    record[metric] = value
                count += 1
                if _axis(record, count, path, line, by_epoch=step_from_epoch):
                    yield record
        except csv.Error as exc:
            raise fail(path, reader.line_num + 1, f"malformed CSV: {exc}") from None


def records_from_objects(objects: Iterable[tuple[int, Any]], path: Path) -> Iterator[Record]:
    """Records from (line, JSON object) pairs; keys are mapped by their names."""
    cache: dict[str, tuple[str, int] | None] = {}
    count = 0
    for line, obj in objects:
        if not isinstance(obj, dict):
            raise fail(path, line, f"expected a JSON object, found {type(obj).__name__}")
        record: Record = {}
        ranks: dict[str, int] = {}
        for key, raw in obj.items():
            if key not in cache:
                cache[key] = columns.classify(key)
            found = cache[key]
            if found is None or (found[0] in ranks and ranks[found[0]] <= found[1]):
                continue
            value = number(raw, path, line, key)
            if value is not None:
                record[found[0]], ranks[found[0]] = value, found[1]
        count += 1
        if _axis(record, count, path, line):
            yield record


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    with source.open_text(path) as handle:
        for line, text in enumerate(source.lines(handle, path), start=1):
            if not text.strip():
                continue
            try:
                yield line, json.loads(text)
            except ValueError as exc:
                raise fail(path, line, f"not a JSON object: {exc.args[0] if exc.args else exc}") from None
            except RecursionError:
                raise fail(path, line, "JSON nested too deeply") from None


def read_jsonl(path: Path) -> Iterator[Record]:
    return records_from_objects(_json_lines(path), path)
