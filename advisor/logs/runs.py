"""Which log a folder holds: one run, chosen by a stated rule, or an InputError listing the runs.

A run is a folder holding one of these (the first in this order when it holds several, since
they log the same run and the text logs are complete and cheaper to read):

    trainer_state.json      Hugging Face Trainer
    metrics.csv             Lightning CSVLogger (or another CSV logger)
    wandb-history.jsonl     W&B run folder (under files/)
    meta.yaml + metrics/    MLflow file-store run (mlruns/<experiment>/<run>)
    *.tfevents.*            TensorBoard: all event files of one folder are one run (a restart adds one)

Two conventions number the versions of one run, and the highest number is the newest:
Lightning's `version_N` (each new run takes one above the highest) and the Trainer's
`checkpoint-N` (N is the step saved). A Trainer output folder's own trainer_state.json is its
final state and is preferred over its checkpoints. Any other set of several runs (runs/<date>/,
two experiments side by side) is never concatenated: the InputError lists them, to name one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from advisor.errors import InputError
from advisor.files import shown

KINDS = ("trainer_state.json", "metrics.csv", "wandb-history.jsonl", "mlflow", "tensorboard")
_SAID = {"mlflow": "an MLflow run", "tensorboard": "the event files"}
FORMAT = {"mlflow": "mlflow", "tensorboard": "tensorboard"}  # the others: recognised from the file
_NUMBERED = re.compile(r"^(version|checkpoint)[-_](\d+)$")
MAX_FOLDERS = 20_000  # folders looked into; a log folder has a handful


def resolve(path: Path) -> tuple[Path, str | None, list[str]]:
    """(the file or run folder to read, its format when the folder says it, notes on the choice).

    A path that is not a folder comes back as it is. InputError for a folder with no run, or several.
    """
    if not os.path.isdir(path):  # never raises; anything else is opened by files.open_regular, which says why not
        return path, None, []
    found = _runs(path)
    if not found:
        raise InputError("log", f"{shown(path)}: a folder with no trainer_state.json, metrics.csv, "
                                f"wandb-history.jsonl, MLflow run or TensorBoard event file")
    chosen, notes = _choose(path, found)
    folder, kind, beside = chosen
    target = folder if kind in FORMAT else folder / kind
    if beside:
        notes.append(f"read {shown(target.relative_to(path) if target != path else target.name)}; "
                     f"{' and '.join(_SAID.get(b, b) for b in beside)} beside it log the same run")
    return target, FORMAT.get(kind), notes


def _runs(root: Path) -> list[tuple[Path, str, list[str]]]:
    """(run folder, kind read, other kinds in it) for every run under root."""
    from advisor.logs import tensorboard

    runs = []
    for count, (folder, dirs, names) in enumerate(os.walk(root)):
        if count >= MAX_FOLDERS:
            raise InputError("log", f"{shown(root)}: more than {MAX_FOLDERS} folders; name the run's own folder")
        dirs.sort()
        here = set(names)
        kinds = [k for k in KINDS[:3] if k in here]
        if "meta.yaml" in here and "metrics" in dirs:
            kinds.append("mlflow")
            dirs[:] = []  # an MLflow run's metrics/ holds one file per metric key, whatever its name
        if any(tensorboard.is_event_file(Path(n)) for n in names):
            kinds.append("tensorboard")
        if kinds:
            runs.append((Path(folder), kinds[0], kinds[1:]))
    return runs


def _choose(root: Path, runs: list[tuple[Path, str, list[str]]]) -> tuple[tuple[Path, str, list[str]], list[str]]:
    folders = {folder for folder, _, _ in runs}
    # a checkpoint of a Trainer output folder that has its own final trainer_state.json is not another run
    runs = [r for r in runs if not (_NUMBERED.match(r[0].name) and r[0].name.startswith("checkpoint")
                                    and r[0].parent in folders)]
    notes: list[str] = []
    groups: dict[tuple[Path, str], list[tuple[int, tuple[Path, str, list[str]]]]] = {}
    alone = []
    for run in runs:
        match = _NUMBERED.match(run[0].name)
        if match:
            groups.setdefault((run[0].parent, match.group(1)), []).append((int(match.group(2)), run))
        else:
            alone.append(run)
    for (_, prefix), members in groups.items():
        number, newest = max(members, key=lambda m: m[0])
        alone.append(newest)
        if len(members) > 1:
            notes.append(f"read {newest[0].name}, the highest of {len(members)} {prefix} folders "
                         f"(the newest {'version' if prefix == 'version' else 'checkpoint'})")
    if len(alone) > 1:
        listed = sorted(str(r[0].relative_to(root)) or "." for r in alone)
        shown_list = ", ".join(shown(p, 50) for p in listed[:6]) + (", ..." if len(listed) > 6 else "")
        raise InputError("log", f"{shown(root)}: a folder of {len(alone)} runs ({shown_list}); "
                                f"pass the one to read as --log")
    return alone[0], notes
