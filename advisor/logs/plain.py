"""Plain CSV and JSON Lines logs: one row (or object) per logged step.

Missing values. A row is one logging event. A column the row does not reach, or a JSON key it
does not have, is "not logged" there (Hugging Face and W&B write only what was logged). A cell
*written* as missing (empty, `NA`, `None`, `null`, `-`) is read by what writes the format:

- Lightning `metrics.csv` and Keras `CSVLogger` (their readers pass `missing_is_nan=False`):
  "not logged". Lightning leaves empty the cells of metrics logged on other rows, Keras writes
  `NA` for a key absent that epoch, and both write a NaN value as `nan`.
- any other CSV, JSON Lines and JSON: in the training-loss column, NaN, because the row logged the
  loss and it was not a number (pandas `to_csv` writes NaN as an empty cell, `to_json` and orjson
  as `null`), unless the row is a validation row (it holds val_loss or val_accuracy), which in a
  merged log leaves the training loss empty. In every other column, "not logged": validation
  metrics and extras are sparse by design.

`nan` and `inf` are kept as written: they are what the nan-loss detector looks for. Any other text
in a metric column is an error naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import operator
from pathlib import Path
from typing import Any, Iterable, Iterator

from advisor.errors import InputError
from advisor.files import shown
from advisor.logs import columns, merge, source

MISSING = frozenset({"", "na", "n/a", "none", "null", "-"})
VALIDATION = ("val_loss", "val_accuracy")
NAN = float("nan")
Record = dict[str, Any]  # floats, and LAYER_GRAD_NORM: {parameter: float}
Notes = list[str]
LAYERS = columns.LAYER_GRAD_NORM


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


def _nan_loss(record: Record) -> None:
    """A training loss written as missing, on a row that is no validation row: NaN (see the module docstring)."""
    if "loss" not in record and "val_loss" not in record and "val_accuracy" not in record:
        record["loss"] = NAN


def sniff_delimiter(header: str) -> str:
    return max((",", "\t", ";"), key=header.count)


def unterminated(notes: Notes | None, path: Path, line: int, what: str) -> None:
    if notes is not None:
        notes.append(f"{shown(path)}:{line}: the last line has no line end (still being written, or the file "
                     f"was cut); {what}")


class _Slow(Exception):
    """A cell the fast path cannot take (`NA`, a word, a quoted number): read again cell by cell from `done`."""

    def __init__(self, done: int) -> None:
        super().__init__(done)
        self.done = done


def read_csv(path: Path, *, step_from_epoch: bool = False, missing_is_nan: bool = True,
             notes: Notes | None = None, block: int = 1) -> Iterator[Record]:
    """Stream records from a CSV whose first line is a header.

    `step_from_epoch`: the log has one row per epoch (Keras), so the epoch is the x axis.
    `missing_is_nan`: a training loss written as missing is NaN (module docstring).
    Blocks of whole lines are first split into cells and made floats column by column, in C (no
    list per row), so a log of a million rows costs a small multiple of csv.reader's own pass; the
    first cell that way cannot take (Keras's `NA`, a note column, a quoted number) starts the file
    again from that row, cell by cell, which also names the file, line and column of a bad value.
    `block` > 1: records merged `block` rows at a time, as advisor.logs.merge.blocks merges them
    (a very long log); on the fast path the merge is done column by column, never row by row.
    """
    return itertools.chain.from_iterable(_csv_batches(path, step_from_epoch, missing_is_nan, notes, block))


def _csv_batches(path: Path, by_epoch: bool, missing_is_nan: bool, notes: Notes | None,
                 block: int) -> Iterator[list[Record]]:
    """Lists of records (no Python code runs per record between here and the detectors)."""
    try:
        yield from _read_csv(path, by_epoch, missing_is_nan, notes, fast=True, done=0, block=block)
    except _Slow as slow:
        yield from _read_csv(path, by_epoch, missing_is_nan, notes, fast=False, done=slow.done, block=block)


_EMPTY = itertools.repeat("")  # never exhausted: map(operator.ne, cells, _EMPTY) marks the non-empty cells


def _read_csv(path: Path, by_epoch: bool, missing_is_nan: bool, notes: Notes | None, *, fast: bool,
              done: int, block: int = 1) -> Iterator[list[Record]]:
    from advisor.logs import wandb

    with source.open_text(path) as handle:
        lines = source.Lines(handle, path)
        header_line = next(lines, "")
        if not header_line.strip():
            raise fail(path, 1, "the first line must be a header naming the columns")
        delimiter = sniff_delimiter(header_line)
        try:
            names = wandb.export_columns(next(csv.reader([header_line], delimiter=delimiter, strict=True)), path)
        except csv.Error as exc:
            raise fail(path, 1, f"unreadable header: {exc}") from None
        chosen = columns.choose(names)
        layers = [(index, name) for index, name in ((i, columns.layer(n)) for i, n in enumerate(names)) if name]
        if not set(chosen) & set(columns.METRICS) and not layers:
            raise fail(path, 1, f"no metric column among {', '.join(map(repr, names[:12]))}; "
                                f"name one of {columns.known_names()}")
        fast = fast and '"' not in header_line and not layers and not by_epoch  # quoted header: quoted numbers
        if fast:
            keys, indexes = tuple(chosen), tuple(chosen.values())
            yield from _batches(lines.texts(), keys, indexes, len(names), delimiter, missing_is_nan, block)
            end = lines.ends + 1
        else:
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            try:
                for records in _rows(reader, names, chosen, layers, path, by_epoch, missing_is_nan, done):
                    yield list(merge.blocks(records, block)) if block > 1 else records
            except csv.Error as exc:
                raise fail(path, reader.line_num + 1, f"malformed CSV: {exc}") from None
            end = reader.line_num + 2
        if lines.unterminated.strip():
            unterminated(notes, path, end, "that row was not read")


def _lines(text: str, done: int) -> str:
    """A block of whole lines as this path reads them: `\n` line ends, no blank lines (csv.reader gives them as
    empty rows, skipped); _Slow(done) for what it does not take: a quote, a lone `\r`."""
    if '"' in text:
        raise _Slow(done)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise _Slow(done)
    if "\n\n" in text or text.startswith("\n"):
        text = "".join(line + "\n" for line in text.split("\n") if line)
    return text


def _first_lines(text: str, lines: int, keep: int) -> int:
    """Where the first `keep` of the `lines` lines of `text` end."""
    end = len(text)
    for _ in range(lines - keep):
        end = text.rindex("\n", 0, end - 1) + 1
    return end


def _floats(cells: list[str], column: int, width: int, done: int) -> tuple[list[Any], list[bool] | None]:
    """Column `column` of rows of cells as floats, in C; with an empty cell, the floats where there are values,
    `""` elsewhere, and the marks of the values. _Slow(done) for any other cell that is no number (`NA`)."""
    cells = cells[column::width]
    try:
        return list(map(float, cells)), None
    except ValueError:
        mark = list(map(operator.ne, cells, _EMPTY))
        values: list[Any] = list(cells)
        try:
            for j, value in zip(itertools.compress(range(len(cells)), mark), map(float, itertools.compress(cells, mark))):
                values[j] = value
        except ValueError:
            raise _Slow(done) from None
        return values, mark


def _batches(texts: Iterable[str], keys: tuple[str, ...], indexes: tuple[int, ...], width: int, delimiter: str,
             missing_is_nan: bool, block: int = 1) -> Iterator[list[Record]]:
    """Records, a block of whole lines at a time (source.Lines.texts), split into cells and converted to floats
    column by column in C, then checked and built column by column; with `block` > 1 each batch is a multiple
    of `block` rows (the rest waits for the next block of lines) and is merged column by column where it
    allows (merge.merge_columns), else record by record.

    Anything this path does not take (a row of another width, a row without a finite step, a
    quoted cell, an unconvertible one) raises _Slow with the rows already given, before any
    record of that batch is given.
    """
    if "step" not in keys:
        raise _Slow(0)
    step_at, epoch_at = keys.index("step"), keys.index("epoch") if "epoch" in keys else None
    loss_at = keys.index("loss") if missing_is_nan and "loss" in keys else None
    metrics_at = {i for i, k in enumerate(keys) if k in columns.METRICS}
    isfinite, compress, eq = math.isfinite, itertools.compress, operator.eq
    done, pending = 0, ""  # the lines past the last multiple of `block`, for the next batch
    for text in itertools.chain(texts, (None,)):  # None: the end, where the lines left over are a batch of their own
        last = text is None
        text = pending if last else pending + _lines(text, done)
        lines = text.count("\n")
        size = lines if last else lines // block * block
        if not size:
            pending = text
            continue
        cut = _first_lines(text, lines, size)
        text, pending = text[:cut], text[cut:]
        cells = text[:-1].replace("\n", delimiter).split(delimiter)  # split in C: no list per row
        if len(cells) != size * width:  # a row of another width
            raise _Slow(done)
        converted = [_floats(cells, i, width, done) for i in indexes]
        cols = [col for col, _ in converted]
        marks = [mark for _, mark in converted]
        finite = list(map(merge.finite, cols, marks))
        if marks[step_at] is not None or not (finite[step_at] or all(map(isfinite, cols[step_at]))):
            raise _Slow(done)
        if epoch_at is not None and not finite[epoch_at]:
            epochs = cols[epoch_at] if marks[epoch_at] is None else compress(cols[epoch_at], marks[epoch_at])
            if not all(map(isfinite, epochs)):
                raise _Slow(done)
        done += size
        if block > 1 and not (loss_at is not None and marks[loss_at] is not None):  # no missing loss to read as NaN
            merged = merge.merge_columns(keys, cols, marks, block) if all(finite) else None
            if merged is not None:
                yield merged
                continue
        records = merge.records_of(keys, cols, marks)
        if loss_at is not None and marks[loss_at] is not None:
            for j in compress(range(size), map(eq, cols[loss_at], _EMPTY)):
                _nan_loss(records[j])
        if all(marks[i] is not None for i in metrics_at):  # a row may hold no metric at all: not a point
            records = [r for r in records if len(r) > 1 + ("epoch" in r)]
        yield list(merge.blocks(records, block)) if block > 1 else records


# Records per list the cell-by-cell path gives
BATCH = 512


def _rows(reader: Any, names: list[str], chosen: dict[str, int], layers: list[tuple[int, str]], path: Path,
          by_epoch: bool, missing_is_nan: bool, done: int) -> Iterator[list[Record]]:
    """Records row by row (given in lists), each cell converted by `number`, which names the line and column of a
    bad one."""
    pairs = [(metric, index, names[index]) for metric, index in chosen.items()]
    width, loss_at = len(names), chosen.get("loss") if missing_is_nan else None
    count = 0
    out: list[Record] = []
    for row in reader:
        line = reader.line_num + 1  # the header was line 1
        size = len(row)
        if not size:
            continue
        if size > width:
            raise fail(path, line, f"{size} fields but the header names {width}")
        count += 1
        if count <= done:
            continue  # given before the switch to this path
        record: Record = {}
        for metric, index, name in pairs:
            if index < size:
                value = number(row[index], path, line, name)
                if value is not None:
                    record[metric] = value
        if loss_at is not None and loss_at < size and "loss" not in record:
            _nan_loss(record)
        norms = {}
        for index, name in layers:
            if index < size:
                value = number(row[index], path, line, names[index])
                if value is not None:
                    norms[name] = value
        if norms:
            record[LAYERS] = norms
        if _axis(record, count, path, line, by_epoch=by_epoch):
            out.append(record)
            if len(out) == BATCH:
                yield out
                out = []
    if out:
        yield out


def records_from_objects(objects: Iterable[tuple[int, Any]], path: Path, start: int = 0) -> Iterator[Record]:
    """Records from (line, JSON object) pairs; keys are mapped by their names, `null` as the module docstring says;
    `start`: the objects before these (a record without a step is numbered by its place)."""
    cache: dict[str, tuple[str, int] | str | None] = {}
    count, isfinite = start, math.isfinite
    for line, obj in objects:
        if not isinstance(obj, dict):
            raise fail(path, line, f"expected a JSON object, found {type(obj).__name__}")
        record: Record = {}
        ranks: dict[str, int] = {}
        loss_missing = False
        for key, raw in obj.items():
            found = cache.get(key, 0)
            if found == 0:
                found = cache[key] = columns.layer(key) or columns.classify(key)
            if found is None:
                continue
            if isinstance(found, str):
                value = number(raw, path, line, key)
                if value is not None:
                    record.setdefault(LAYERS, {})[found] = value
                continue
            metric, rank = found
            if metric in ranks and ranks[metric] <= rank:
                continue
            value = raw if raw.__class__ is float else number(raw, path, line, key)
            if value is not None:
                record[metric], ranks[metric] = value, rank
            elif metric == "loss":
                loss_missing = True
        if loss_missing:
            _nan_loss(record)
        count += 1
        step = record.get("step")
        if step is not None and isfinite(step) and isfinite(record.get("epoch", 0.0)) and \
                len(record) > 1 + ("epoch" in record):
            yield record  # the common case, checked without a call
        elif _axis(record, count, path, line):
            yield record


def _json_lines(path: Path, notes: Notes | None) -> Iterator[tuple[int, Any]]:
    with source.open_text(path) as handle:
        lines = source.Lines(handle, path, keep_last=True)
        for line, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                yield line, json.loads(text)
            except ValueError as exc:
                if text == lines.unterminated:  # a running job's last record, half written
                    unterminated(notes, path, line, "the complete lines before it were read")
                    return
                raise fail(path, line, f"not a JSON object: {exc.args[0] if exc.args else exc}") from None
            except RecursionError:
                raise fail(path, line, "JSON nested too deeply") from None


def read_jsonl(path: Path, notes: Notes | None = None) -> Iterator[Record]:
    return records_from_objects(_json_lines(path, notes), path)
