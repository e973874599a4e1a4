"""TensorBoard event files (optional extra: `pip install 'training-advisor[tensorboard]'`).

Scalars are read one event at a time with TensorBoard's own loader, so a large
event file streams like a CSV. Tags are mapped like column names
(`train/loss` → loss, `val/loss` → val_loss).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from advisor import files
from advisor.errors import InputError
from advisor.logs import columns, plain


def is_event_file(path: Path) -> bool:
    return "tfevents" in path.name


def event_files(path: Path) -> list[Path]:
    if os.path.isdir(path):  # never raises, even for a name too long
        return sorted(p for p in path.rglob("*") if is_event_file(p) and files.is_regular(p))
    return [path]


def read(path: Path) -> Iterator[plain.Record]:
    try:
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
        from tensorboard.util import tensor_util
    except ImportError:
        raise InputError("log", f"{path}: reading TensorBoard event files needs the tensorboard package "
                                "(pip install 'training-advisor[tensorboard]'), or export the scalars to CSV") from None
    cache: dict[str, tuple[str, int] | None] = {}
    for file in event_files(path):
        index = 0
        try:
            for index, event in enumerate(EventFileLoader(str(file)).Load(), start=1):
                for value in event.summary.value:
                    if value.tag not in cache:
                        cache[value.tag] = columns.classify(value.tag)
                    found = cache[value.tag]
                    if found is None or found[0] not in columns.METRICS:
                        continue
                    if value.HasField("simple_value"):
                        number = float(value.simple_value)
                    elif value.HasField("tensor"):
                        number = float(tensor_util.make_ndarray(value.tensor).item())
                    else:
                        continue
                    yield {"step": float(event.step), found[0]: number}
        except Exception as exc:  # the loader raises its own error types for corrupt records
            raise plain.fail(file, index + 1, f"unreadable event record: {exc}") from None
