"""Training logs in, detected symptoms out: `analyze(path)`.

One reader per format, each a generator of records (`{"step": 120.0,
"loss": 0.41, ...}`, canonical names from columns.py), so a log of any length
streams through the detectors in bounded memory. The format is recognised from
the file itself:

    trainer_state.json (or its folder)   hf-trainer   Hugging Face Trainer log_history
    metrics.csv with epoch, step, *_step  lightning    PyTorch Lightning CSVLogger
    CSV whose first column is epoch       keras        Keras CSVLogger
    *.tfevents.* (or a folder of them)    tensorboard  optional extra
    other CSV / TSV                       csv          columns step, epoch, loss, val_loss, ...
    lines of JSON objects                 jsonl        the same keys
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from advisor import files
from advisor.errors import InputError
from advisor.logs import columns, plain, source

FORMATS = ("hf-trainer", "lightning", "keras", "csv", "jsonl", "tensorboard")
CURVES = ("loss", "val_loss")


def detect_format(path: str | Path) -> str:
    """The format of a log file or folder; InputError when it is none of FORMATS."""
    from advisor.logs import hf_trainer, keras, lightning, tensorboard

    path = Path(path)
    if os.path.isdir(path):  # never raises; anything else is opened through files.open_regular, which says why not
        if files.is_regular(hf_trainer.find_state(path)):
            return "hf-trainer"
        if tensorboard.event_files(path):
            return "tensorboard"
        if lightning.find_metrics(path) != path:
            return "lightning"
        raise InputError("log", f"{path}: a folder with no trainer_state.json, metrics.csv or event file")
    if tensorboard.is_event_file(path):
        files.open_regular(path, field="log").close()  # a FIFO named like an event file is refused here
        return "tensorboard"
    head = source.head(path)  # a FIFO or a device is refused; a compressed log is read decompressed
    text = head.lstrip()
    suffix = source.logical_suffix(path)
    if suffix == ".json":  # one JSON document is a Trainer state, whatever it starts with
        return "hf-trainer"
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


def read_log(path: str | Path, fmt: str | None = None) -> Iterator[plain.Record]:
    """Records of a log, streamed; `fmt` overrides auto-detection."""
    from advisor.logs import hf_trainer, keras, lightning, tensorboard

    path = Path(path)
    fmt = fmt or detect_format(path)
    readers: dict[str, Callable[[Path], Iterator[plain.Record]]] = {
        "hf-trainer": hf_trainer.read, "lightning": lightning.read, "keras": keras.read,
        "csv": plain.read_csv, "jsonl": plain.read_jsonl, "tensorboard": tensorboard.read}
    if fmt not in readers:
        raise InputError("log", f"unknown log format {fmt!r}; known: {', '.join(FORMATS)}")
    return readers[fmt](path)


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


@dataclass
class Analysis:
    """What one log says: its format, size, curves for charts, and detected symptoms."""

    path: str
    format: str
    rows: int
    findings: list[Any]
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    by_epoch: bool = False

    def detected(self) -> list[dict[str, Any]]:
        """The report's `detected` list: {symptom, step, evidence}, in order of onset."""
        return [f.as_dict() for f in self.findings]

    def symptoms(self) -> list[str]:
        return sorted({f.symptom for f in self.findings})


def analyze(path: str | Path, fmt: str | None = None, *, thresholds: Any = None) -> Analysis:
    """Stream a log through every detector; InputError for a file that cannot be read."""
    from advisor import detect

    path = Path(path)
    fmt = fmt or detect_format(path)
    analyzer = detect.Analyzer(thresholds)
    curves = {name: Downsampled() for name in CURVES}
    rows = 0
    by_epoch = fmt == "keras"
    records = read_log(path, fmt)
    block = _block_size(path, fmt)
    if block > 1:
        records = blocks(records, block)
    try:
        for record in records:
            rows += record.pop("_rows", 1)
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
    return Analysis(str(path), fmt, rows, sorted(analyzer.findings, key=lambda f: f.step),
                    {k: v.result() for k, v in curves.items() if v.result()}, by_epoch)


MAX_POINTS = 100_000


def _block_size(path: Path, fmt: str) -> int:
    """Rows averaged into one point so that at most ~MAX_POINTS reach the detectors (from the file size)."""
    if fmt not in ("csv", "jsonl", "lightning") or not files.is_regular(path):
        return 1
    size = path.stat().st_size  # of a compressed log: its compressed size, so blocks come out smaller
    if size < 2_000_000:
        return 1
    head = source.head(path, 65536)
    lines = max(1, head.count("\n"))
    return max(1, int(size / (len(head) / lines)) // MAX_POINTS)


def blocks(records: Iterator[plain.Record], size: int) -> Iterator[plain.Record]:
    """Consecutive records averaged `size` at a time, as a Trainer averages the loss over logging_steps.

    A non-finite value stays non-finite in its block's mean, so nan-loss is never averaged away;
    a sparse metric (val_loss every N steps) is the mean of the values its block holds.
    """
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    n = 0
    last: plain.Record = {}
    for record in records:
        for key, value in record.items():
            if key in sums:
                sums[key] += value
                counts[key] += 1
            else:
                sums[key], counts[key] = value, 1
        n += 1
        last = record
        if n == size:
            out = {k: v / counts[k] for k, v in sums.items()}
            out["step"], out["_rows"] = last["step"], n
            if "epoch" in last:
                out["epoch"] = last["epoch"]
            yield out
            sums, counts, n = {}, {}, 0
    if n:
        out = {k: v / counts[k] for k, v in sums.items()}
        out["step"], out["_rows"] = last["step"], n
        if "epoch" in last:
            out["epoch"] = last["epoch"]
        yield out


def merge_symptoms(setup: dict[str, Any], analysis: Analysis) -> dict[str, Any]:
    """The setup with the detected symptoms added to the declared ones, normalised again."""
    from advisor.setup import fields

    declared = setup.get("symptoms", ())
    merged = dict(setup)
    merged["symptoms"] = sorted(set(declared) | set(analysis.symptoms()))
    return fields.normalize_setup(merged) if merged["symptoms"] else setup
