"""Training logs in, detected symptoms and the setup values a log states out: `analyze(path)`.

One reader per format, each a generator of records (`{"step": 120.0, "loss": 0.41, ...}`,
canonical names from columns.py; per-layer gradient norms as one key, `layer_grad_norm`:
{parameter: norm}), so a log of any length streams through the detectors in bounded memory and
every logged point reaches them as it was logged (what a point means never depends on the file's
size). The format is recognised from the file itself:

    trainer_state.json (or its folder)   hf-trainer     Hugging Face Trainer log_history
    metrics.csv with epoch, step, *_step  lightning      PyTorch Lightning CSVLogger
    CSV whose first column is epoch       keras          Keras CSVLogger
    {"loss": [...], ...} JSON             keras-history  json.dump(history.history)
    [{...}, ...] or {...} JSON            json           records; one object (wandb-summary.json)
    *.tfevents.* (or a folder of them)    tensorboard    read without TensorBoard
    mlruns/<experiment>/<run>             mlflow         MLflow file store
    other CSV / TSV                       csv            columns step, epoch, loss, val_loss, ...;
                                                         also a W&B panel's "Export CSV"
    lines of JSON objects                 jsonl          the same keys (also wandb-history.jsonl)

A folder is resolved to one run by runs.resolve (its rule: the newest version_N / checkpoint-N,
else an InputError listing the runs). What a reader had to skip or choose (a half-written last
line, the version read) is a note on the Analysis.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from advisor import files
from advisor.errors import InputError
from advisor.logs import columns, merge, plain, runs, source

FORMATS = ("hf-trainer", "json", "keras-history", "lightning", "keras", "csv", "jsonl", "tensorboard", "mlflow")
CURVES = ("loss", "val_loss")
_HISTORY_HEAD = re.compile(r'^\{\s*"(?:[^"\\]|\\.)*"\s*:\s*\[')  # {"loss": [ : a Keras History


def detect_format(path: str | Path) -> str:
    """The format of a log file or folder; InputError when it is none of FORMATS."""
    target, fmt, _ = runs.resolve(Path(path))
    return fmt or _file_format(target)


def _file_format(path: Path) -> str:
    from advisor.logs import keras, lightning, tensorboard

    if tensorboard.is_event_file(path):
        source.open_binary(path).close()  # a FIFO named like an event file is refused here
        return "tensorboard"
    head = source.head(path)  # a FIFO or a device is refused; a compressed log is read decompressed
    text = head.lstrip()
    suffix = source.logical_suffix(path)
    if suffix == ".json" or text.startswith("["):  # one JSON document: its shape says which
        if "log_history" in head:
            return "hf-trainer"
        if _HISTORY_HEAD.match(text):
            return "keras-history"
        return "json"
    if text.startswith("{"):
        # JSON Lines hold one object per line; a Trainer state under another name spans lines
        if "log_history" in head and not _one_json_line(text.split("\n", 1)[0]):
            return "hf-trainer"
        return "jsonl"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    header_line = head.split("\n", 1)[0]
    try:
        header = next(csv.reader([header_line], delimiter=plain.sniff_delimiter(header_line)))
    except (csv.Error, StopIteration):
        header = []
    if lightning.looks_like(header):
        return "lightning"
    if keras.looks_like(header):
        return "keras"
    return "csv"


def _one_json_line(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except (ValueError, RecursionError):
        return False


def _readers() -> dict[str, Callable[..., Iterator[plain.Record]]]:
    from advisor.logs import hf_trainer, keras, lightning, mlflow, tensorboard

    return {"hf-trainer": hf_trainer.read, "json": hf_trainer.read, "keras-history": hf_trainer.read,
            "lightning": lightning.read, "keras": keras.read, "csv": plain.read_csv, "jsonl": plain.read_jsonl,
            "tensorboard": tensorboard.read, "mlflow": mlflow.read}


# readers that merge long logs themselves, column by column (plain.read_csv, objects.records)
MERGED_BY_READER = ("csv", "lightning", "hf-trainer", "json", "keras-history")


def _open(path: Path, fmt: str | None, notes: list[str], *, merged: bool = False) -> tuple[str, Iterator[plain.Record]]:
    """The format and the records of a log; `merged`: records merged into about MAX_POINTS points when it is long."""
    target, folder_format, chosen = runs.resolve(path)
    notes.extend(chosen)
    fmt = fmt or folder_format or _file_format(target)
    readers = _readers()
    if fmt not in readers:
        raise InputError("log", f"unknown log format {fmt!r}; known: {', '.join(FORMATS)}")
    block = _block_size(target, fmt) if merged else 1
    if block > 1:
        notes.append(f"a long log: each {block:,} rows were merged into one point (their mean, a NaN or inf kept "
                     f"as an event of its own), so the values read from it are means of {block:,} rows")
    if block > 1 and fmt in MERGED_BY_READER:
        return fmt, readers[fmt](target, notes=notes, block=block)
    records = readers[fmt](target, notes=notes)
    if block > 1:
        records = merge.blocks(records, block)
    return fmt, records


def read_log(path: str | Path, fmt: str | None = None, notes: list[str] | None = None) -> Iterator[plain.Record]:
    """Records of a log, streamed; `fmt` overrides auto-detection; what was skipped or chosen goes to `notes`."""
    return _open(Path(path), fmt, notes if notes is not None else [])[1]


class Downsampled:
    """At most `limit` (step, value) points of a curve of any length, for charts.

    When full, neighbours are merged pairwise (mean step, mean value) and the
    stride doubles, so memory stays bounded and the shape is kept.
    """

    def __init__(self, limit: int = 400) -> None:
        self.limit, self.stride = limit, 1
        self.points: list[tuple[float, float]] = []
        self._pending: list[tuple[float, float]] = []

    def add(self, step: float, value: float) -> None:
        if value != value or value in (float("inf"), float("-inf")):
            return
        self._pending.append((step, value))
        if len(self._pending) < self.stride:
            return
        n = len(self._pending)
        self.points.append((sum(p[0] for p in self._pending) / n, sum(p[1] for p in self._pending) / n))
        self._pending = []
        if len(self.points) >= self.limit:
            pts = self.points
            self.points = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(pts[::2], pts[1::2])]
            if len(pts) % 2:
                self.points.append(pts[-1])
            self.stride *= 2

    def result(self) -> list[tuple[float, float]]:
        tail = self._pending
        if tail:
            n = len(tail)
            return self.points + [(sum(p[0] for p in tail) / n, sum(p[1] for p in tail) / n)]
        return list(self.points)


class LogValues:
    """The setup values a log states, gathered as records stream by (a few numbers of state).

    lr          the highest logged learning rate: the configured one, which warmup climbs to and
                decay and ReduceLROnPlateau fall from (the last value of a decayed run is not it)
    loss_start  the first finite training loss logged
    loss_now    the median of the last 5 finite training losses (one noisy step is not "now")
    val_loss    the last finite validation loss logged
    train_accuracy  the median of the last 5 training accuracies (per-batch ones are noisy), when in 0..1
    val_accuracy    the last logged, when in 0..1
    epochs      integer epochs counted from 0 (Keras, Lightning): the last + 1; else (Hugging
                Face's fractional epoch, a loop counting from 1) the last rounded up
    """

    TAIL = 5

    def __init__(self) -> None:
        self.lr: tuple[float, float] | None = None  # (value, step)
        self.loss_start: float | None = None
        self.tails: dict[str, deque[float]] = {"loss": deque(maxlen=self.TAIL), "accuracy": deque(maxlen=self.TAIL)}
        self.last: dict[str, float] = {}
        self.epoch_first: float | None = None
        self.epoch_last: float | None = None
        self.integral = True

    def add(self, record: plain.Record) -> None:
        lr = record.get("lr")
        if lr is not None and math.isfinite(lr) and lr > 0 and (self.lr is None or lr > self.lr[0]):
            self.lr = (lr, record["step"])
        for name, tail in self.tails.items():
            value = record.get(name)
            if value is not None and math.isfinite(value):
                tail.append(value)
                if self.loss_start is None and name == "loss":
                    self.loss_start = value
        for name in ("val_loss", "val_accuracy"):
            value = record.get(name)
            if value is not None and math.isfinite(value):
                self.last[name] = value
        epoch = record.get("epoch")
        if epoch is not None:
            if self.epoch_first is None:
                self.epoch_first = epoch
            self.epoch_last = epoch
            self.integral = self.integral and epoch == int(epoch)

    def values(self) -> dict[str, tuple[Any, str]]:
        """setup field -> (value, where in the log it comes from)."""
        out: dict[str, tuple[Any, str]] = {}
        if self.lr is not None:
            out["lr"] = (self.lr[0], f"the highest learning rate the log holds, at step {self.lr[1]:g}")
        if self.loss_start is not None:
            out["loss_start"] = (self.loss_start, "the first training loss logged")
            out["loss_now"] = (_median(self.tails["loss"]), f"the median of the last {len(self.tails['loss'])} "
                                                            f"training losses logged")
        if "val_loss" in self.last:
            out["val_loss"] = (self.last["val_loss"], "the last validation loss logged")
        if self.tails["accuracy"] and 0 <= _median(self.tails["accuracy"]) <= 1:
            out["train_accuracy"] = (_median(self.tails["accuracy"]), f"the median of the last "
                                                                      f"{len(self.tails['accuracy'])} training accuracies logged")
        if 0 <= self.last.get("val_accuracy", -1) <= 1:
            out["val_accuracy"] = (self.last["val_accuracy"], "the last validation accuracy logged")
        if self.epoch_last is not None:
            if self.integral and self.epoch_first == 0:
                out["epochs"] = (int(self.epoch_last) + 1, "the last epoch logged, counted from 0, plus 1")
            else:
                out["epochs"] = (math.ceil(self.epoch_last), "the last epoch logged, rounded up")
        return out


def _median(values: deque[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


@dataclass
class Analysis:
    """What one log says: its format, size, curves for charts, detected symptoms, the setup values it states."""

    path: str
    format: str
    rows: int
    findings: list[Any]
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    by_epoch: bool = False
    notes: list[str] = field(default_factory=list)  # what was skipped or chosen: a half-written line, the run read
    values: dict[str, tuple[Any, str]] = field(default_factory=dict)  # setup field -> (value, its source in the log)

    def detected(self) -> list[dict[str, Any]]:
        """The report's `detected` list: {symptom, step, evidence}, in order of onset."""
        return [f.as_dict() for f in self.findings]

    def symptoms(self) -> list[str]:
        return sorted({f.symptom for f in self.findings})

    def summary(self, taken: Iterable[str] = ()) -> dict[str, Any]:
        """The report's `log`: the file read, what the reader noted, and the setup values taken from it."""
        return {"path": self.path, "format": self.format, "rows": self.rows, "notes": list(self.notes),
                "values": [{"field": name, "value": self.values[name][0], "source": self.values[name][1]}
                           for name in taken]}


def analyze(path: str | Path, fmt: str | None = None, *, thresholds: Any = None) -> Analysis:
    """Stream a log through every detector; InputError for a file that cannot be read."""
    from advisor import detect

    path = Path(path)
    notes: list[str] = []
    fmt, records = _open(path, fmt, notes, merged=True)
    analyzer = detect.Analyzer(thresholds)
    curves = {name: Downsampled() for name in CURVES}
    values = LogValues()
    rows = 0
    try:
        for record in records:
            rows += record.pop("_rows", 1)
            values.add(record)
            analyzer.update(record)
            for name in CURVES:
                value = record.get(name)
                if value is not None:
                    curves[name].add(record["step"], value)
    except OSError as exc:
        raise InputError("log", f"{path}: {exc.strerror or exc}") from None
    if rows == 0:
        raise InputError("log", f"{path}: no logged values ({fmt} format); expected columns like "
                                f"{columns.known_names()}")
    analyzer.finish()
    notes.extend(analyzer.outlived)
    return Analysis(str(path), fmt, rows, sorted(analyzer.findings, key=lambda f: f.step),
                    {k: v.result() for k, v in curves.items() if v.result()}, fmt in ("keras", "keras-history"),
                    notes, values.values())


# What reaches the detectors of a very long log (about 50 µs a point, in Python): at 10,000, analysing a
# million-row CSV costs a small multiple of csv.reader's bare pass (benchmarks/bench_logs.py); the merge keeps
# every non-finite value an event of its own, so a finding does not depend on the file's length.
MAX_POINTS = 10_000


# What starts a row in the text of a log, for counting the rows of its first 64 KiB: a line, or a Trainer
# state's log_history entry (each names its "step"; `"global_step"` does not match)
_ROW_MARK = {"csv": "\n", "jsonl": "\n", "lightning": "\n", "hf-trainer": '"step"'}
_HEAD = 1 << 16


def _block_size(path: Path, fmt: str) -> int:
    """Rows merged into one point so that about MAX_POINTS reach the detectors (from the log's size and how
    many rows its first 64 KiB hold). The merge (logs/merge.py) keeps every non-finite value an event of its
    own, so what a NaN, an inf or a spike means does not change with the file's length."""
    if fmt == "tensorboard":
        from advisor.logs import tensorboard

        found = tensorboard.event_files(path)
        size = sum(p.stat().st_size for p in found)
        rows, length = tensorboard.rows_in_head(found[0], _HEAD) if found and size >= 2_000_000 else (0, 0)
    elif fmt in _ROW_MARK and files.is_regular(path):
        size = path.stat().st_size  # of a compressed log: its compressed size, so blocks come out smaller
        head = source.head(path, _HEAD) if size >= 2_000_000 else ""
        rows, length = head.count(_ROW_MARK[fmt]), len(head)
    else:
        return 1
    if rows == 0 or size < 2_000_000:
        return 1
    return max(1, int(size * rows / length) // MAX_POINTS)


def merge_symptoms(setup: dict[str, Any], analysis: Analysis) -> tuple[dict[str, Any], list[str]]:
    """The setup with the detected symptoms added to the declared ones, and the values the log states
    (Analysis.values) for the fields the setup leaves out: what the user gave always wins. Also the
    fields taken from the log, in the order the log's values are listed."""
    from advisor.setup import fields

    merged = dict(setup)
    taken = []
    for name, (value, _) in analysis.values.items():
        known = fields.BY_NAME.get(name)
        if known is None or merged.get(name) is not None:
            continue
        try:
            known.parse(value)
        except (ValueError, InputError):
            continue  # outside the field's bounds (a negative loss): not a value the rules can use
        merged[name] = value
        taken.append(name)
    symptoms = sorted(set(setup.get("symptoms", ())) | set(analysis.symptoms()))
    if symptoms:
        merged["symptoms"] = symptoms
    return (fields.normalize_setup(merged) if merged != setup else setup), taken
