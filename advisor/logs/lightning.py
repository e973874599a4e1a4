"""PyTorch Lightning `CSVLogger`: `metrics.csv`, with `epoch` and `step` columns.

Training and validation metrics land on separate, sparse rows; `self.log(...,
on_step=True, on_epoch=True)` writes both `name_step` and `name_epoch`, and the
per-step column is the curve (see columns.CANDIDATES).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from advisor.logs import columns, plain


def looks_like(header: list[str]) -> bool:
    names = {columns.normalise(n) for n in header}
    return {"epoch", "step"} <= names and (
        any(n.endswith(("_step", "_epoch")) for n in names) or any(n.startswith("lr_") for n in names))


def find_metrics(path: Path) -> Path:
    """A Lightning log folder (lightning_logs/version_N) holds metrics.csv."""
    if os.path.isdir(path):  # never raises, even for a name too long
        found = sorted(path.rglob("metrics.csv"))
        if found:
            return found[-1]
    return path


def read(path: Path) -> Iterator[plain.Record]:
    return plain.read_csv(find_metrics(path))
