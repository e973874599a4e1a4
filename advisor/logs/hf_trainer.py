"""Hugging Face Trainer: `trainer_state.json`, whose `log_history` lists what was logged.

Training entries carry `loss`, `grad_norm`, `learning_rate`; evaluation entries
`eval_loss` and `eval_<metric>`; the last entry is the run summary
(`train_loss` averaged over the run, `train_runtime`), which is not a point of
the curve and is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from . import plain

SUMMARY_KEYS = ("train_runtime", "total_flos")


def find_state(path: Path) -> Path:
    """The trainer_state.json of an output folder: its own, or the latest checkpoint's."""
    if path.is_file():
        return path
    direct = path / "trainer_state.json"
    if direct.is_file():
        return direct
    checkpoints = sorted(path.glob("checkpoint-*/trainer_state.json"),
                         key=lambda p: int(p.parent.name.split("-")[-1]) if p.parent.name.split("-")[-1].isdigit() else -1)
    return checkpoints[-1] if checkpoints else direct


def read(path: Path) -> Iterator[plain.Record]:
    path = find_state(path)
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        raise plain.fail(path, line, f"not valid JSON: {getattr(exc, 'msg', exc)}") from None
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        raise plain.fail(path, 1, "no `log_history` list: not a Trainer state file")
    # eval_accuracy and friends: `eval_` is the Trainer's prefix for every evaluation metric.
    entries = ((index + 1, {("val_" + k[5:] if k.startswith("eval_") and k != "eval_loss" else k): v
                            for k, v in entry.items()} if isinstance(entry, dict) else entry)
               for index, entry in enumerate(history)
               if not (isinstance(entry, dict) and any(k in entry for k in SUMMARY_KEYS)))
    # HF's `epoch` is fractional and its `step` is the optimizer step: both exact already.
    yield from plain.records_from_objects(entries, path)
