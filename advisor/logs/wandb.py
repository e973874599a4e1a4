"""Weights & Biases: a panel's "Export CSV" and a run folder's `wandb-history.jsonl`.

A chart panel exports one CSV with `Step` and, for each run drawn, `<run> - <metric>` plus
`<run> - <metric>__MIN` / `__MAX` (the band of points the panel merged). The history file
(`files/wandb-history.jsonl` in a run folder written by older clients) holds one JSON object per
`wandb.log` call, with `_step`, `_runtime`, `_timestamp` and the logged keys (`train/loss`), so it
reads as JSON Lines. `wandb-summary.json` holds the last value of each key: one record.
"""

from __future__ import annotations

import re
from pathlib import Path

from advisor.errors import InputError
from advisor.files import shown

_EXPORTED = re.compile(r"^(.+?) - (.+)$")  # `<run> - <metric>`; a run name may itself hold " - " (the first split)
_BAND = ("__MIN", "__MAX")


def export_columns(names: list[str], path: Path) -> list[str]:
    """The header of a W&B panel export with `<run> - ` taken off (the __MIN/__MAX bands stay unread).

    Any other header comes back as it is. An export of several runs is an InputError naming them:
    their rows share the Step column, so reading them as one run would interleave two curves.
    """
    if not any(n.endswith(_BAND) and _EXPORTED.match(n) for n in names):
        return names
    runs: dict[str, None] = {}
    out = []
    for name in names:
        match = _EXPORTED.match(name)
        if match and not name.endswith(_BAND):
            runs[match.group(1)] = None
        out.append(match.group(2) if match else name)
    if len(runs) > 1:
        listed = ", ".join(shown(r, 40) for r in list(runs)[:5]) + (", ..." if len(runs) > 5 else "")
        raise InputError("log", f"{shown(path)}: a W&B export of {len(runs)} runs ({listed}); export one run's "
                                f"panel (or hide the others) and pass that file")
    return out

