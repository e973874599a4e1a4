"""PyTorch Lightning `CSVLogger`: `metrics.csv`, with `epoch` and `step` columns.

Training and validation metrics land on separate, sparse rows (and LearningRateMonitor writes
rows of its own), so an empty cell is a metric logged on another row, never a NaN (Lightning
writes NaN as `nan`). `self.log(..., on_step=True, on_epoch=True)` writes both `name_step` and
`name_epoch`, and the per-step column is the curve (see columns.CANDIDATES); the `grad_norm()`
utility's `grad_2.0_norm/<param>` columns are the per-layer gradient norms.
A folder (lightning_logs/version_N) is resolved by runs.resolve.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from advisor.logs import columns, plain

_NORM = re.compile(r"^grad_\d+_\d+_norm")  # grad_2.0_norm/<param>, grad_2.0_norm_total: Lightning's grad_norm()


def looks_like(header: list[str]) -> bool:
    names = {columns.normalise(n) for n in header}
    return {"epoch", "step"} <= names and (
        any(n.endswith(("_step", "_epoch")) for n in names) or any(n.startswith("lr_") or _NORM.match(n) for n in names))


def read(path: Path, notes: plain.Notes | None = None, block: int = 1) -> Iterator[plain.Record]:
    return plain.read_csv(path, missing_is_nan=False, notes=notes, block=block)
