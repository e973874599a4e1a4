"""JSON documents: the Hugging Face Trainer's trainer_state.json, an array of records, a Keras History.

- trainer_state.json: `log_history` lists what was logged. Training entries carry `loss`,
  `grad_norm`, `learning_rate`; evaluation entries `eval_loss` and `eval_<metric>`; the last entry
  is the run summary (`train_loss` averaged over the run, `train_runtime`), which is not a point
  of the curve and is skipped.
- an array of objects (`pandas.DataFrame.to_json(orient="records")`, a hand-written dump): a record each.
- a Keras History (`json.dump(history.history, f)`): {"loss": [...], "val_loss": [...]}, one value
  per epoch; epochs count from 0, as Keras's CSVLogger writes them.
- any other object: one record of its numbers (W&B's `wandb-summary.json`: each key's last value).

The file is read as a stream (jsonstream.Scanner), so a document of any size takes the memory of
one entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from advisor.logs import columns, jsonstream, objects, plain, source

SUMMARY_KEYS = frozenset(("train_runtime", "total_flos"))


def read(path: Path, notes: plain.Notes | None = None, block: int = 1) -> Iterator[plain.Record]:
    """Records; `block` > 1: merged `block` at a time, as merge.blocks merges them, column by column."""
    with source.open_text(path) as handle:
        yield from objects.records(_objects(jsonstream.Scanner(handle, path)), path, block)


def _objects(scan: jsonstream.Scanner) -> Iterator[objects.Run]:
    """Runs of the records the document holds (jsonstream.Scanner.runs); the rest of it is checked, not kept."""
    first = scan.peek()
    if first == "[":
        yield from scan.runs()
        _end(scan)
        return
    if first != "{":
        raise scan.fail("no `log_history` list: not a Trainer state file, an array of records or a Keras History")
    line = scan.line_at(scan.pos)
    scan.pos += 1
    found = False
    numbers: dict[str, Any] = {}  # numbers and lists of numbers at the top: a History or a summary
    while scan.peek() != "}":
        key = scan.value()
        if not isinstance(key, str):
            raise scan.fail("not valid JSON: expected a key in double quotes")
        scan.expect(":")
        if key == "log_history":
            if found:
                raise scan.fail("`log_history` is given twice")
            found = True
            yield from _history(scan)
        else:
            value = scan.value()
            if not found and _numeric(value):
                numbers[key] = value
        if scan.expect(",}") == "}":
            break
    else:
        scan.pos += 1
    _end(scan)
    if found:
        return
    lists = {k: v for k, v in numbers.items() if isinstance(v, list)}
    if lists:
        for epoch in range(max(len(v) for v in lists.values())):
            yield line, [{"epoch": epoch, "step": epoch, **{k: v[epoch] for k, v in lists.items() if epoch < len(v)}}], None
    elif any((found := columns.classify(k)) and found[0] in columns.METRICS for k in numbers):
        yield line, [numbers], None
    else:
        raise scan.fail("no `log_history` list: not a Trainer state file, an array of records or a Keras History")


def _numeric(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
                                   for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _history(scan: jsonstream.Scanner) -> Iterator[objects.Run]:
    if scan.peek() != "[":
        raise scan.fail("no `log_history` list: not a Trainer state file")
    # `eval_<metric>` is read as val_<metric> (columns.classify); HF's `epoch` is fractional and its `step` is
    # the optimizer step: both exact already.
    for line, entries, text in scan.runs():
        if all(not isinstance(entry, dict) or SUMMARY_KEYS.isdisjoint(entry) for entry in entries):
            yield line, entries, text
            continue
        pairs = jsonstream.lines_of(text, line) if text is not None else zip((line,), entries)
        for at, entry in pairs:  # the run holds the summary (the last entry): the others one at a time
            if not isinstance(entry, dict) or SUMMARY_KEYS.isdisjoint(entry):
                yield at, [entry], None


def _end(scan: jsonstream.Scanner) -> None:
    if scan.peek():
        raise scan.fail("not valid JSON: extra data after the document")
