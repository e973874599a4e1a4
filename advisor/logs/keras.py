"""Keras `CSVLogger`: one row per epoch; `epoch` counts from 0; a key absent that epoch is `NA`, a NaN is `nan`."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from advisor.logs import columns, plain


def looks_like(header: list[str]) -> bool:
    names = [columns.normalise(n) for n in header]
    return bool(names) and names[0] == "epoch" and "step" not in names and "loss" in names


def read(path: Path, notes: plain.Notes | None = None) -> Iterator[plain.Record]:
    return plain.read_csv(path, step_from_epoch=True, missing_is_nan=False, notes=notes)
