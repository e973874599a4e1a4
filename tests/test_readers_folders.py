"""A folder given as --log: one run chosen by a stated rule (newest version_N / checkpoint-N), or the runs listed.

The runs are copies of files real libraries wrote (tests/fixtures/logs/readers/make.py), laid out as those
libraries lay them out.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from advisor.errors import InputError
from advisor.logs import analyze, detect_format, read_log

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
READERS = FIXTURES / "readers"
LIGHTNING = READERS / "lightning" / "version_0"  # metrics.csv, an event file and hparams.yaml of one real run
HF = FIXTURES / "hf_healthy_trainer_state.json"


def _metrics_rows(csv_text: str, keep: int) -> str:
    lines = csv_text.splitlines(keepends=True)
    return "".join(lines[:keep + 1])


def test_the_highest_version_number_is_read_not_the_last_by_name(tmp_path):
    text = (LIGHTNING / "metrics.csv").read_text()
    for n in range(11):  # version_9 sorts after version_10 by name
        folder = tmp_path / "lightning_logs" / f"version_{n}"
        folder.mkdir(parents=True)
        (folder / "metrics.csv").write_text(_metrics_rows(text, 20 + n))
    notes: list[str] = []
    records = list(read_log(tmp_path / "lightning_logs", notes=notes))
    expected = list(read_log(tmp_path / "lightning_logs" / "version_10" / "metrics.csv"))
    assert records == expected and len(records) != len(list(read_log(tmp_path / "lightning_logs" / "version_9")))
    assert any("version_10" in n and "11" in n for n in notes), notes
    analysis = analyze(tmp_path)  # from the folder above too, and the choice is said
    assert analysis.format == "lightning" and any("version_10" in n for n in analysis.notes)


def test_a_lightning_folder_with_csv_and_events_reads_the_csv_and_needs_no_tensorboard(tmp_path, monkeypatch):
    run = tmp_path / "lightning_logs" / "version_0"
    shutil.copytree(LIGHTNING, run)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # `import tensorboard` fails, as when not installed
    notes: list[str] = []
    records = list(read_log(tmp_path, notes=notes))
    assert records == list(read_log(run / "metrics.csv"))
    assert any("metrics.csv" in n and "event files" in n for n in notes), notes
    event = next(run.glob("*tfevents*"))
    assert detect_format(event) == "tensorboard" and len(list(read_log(event))) > 10  # read without tensorboard


def test_trainer_output_folder_prefers_its_own_state_over_checkpoints(tmp_path):
    (tmp_path / "trainer_state.json").write_text(HF.read_text())
    for n in (500, 1000):
        (tmp_path / f"checkpoint-{n}").mkdir()
        (tmp_path / f"checkpoint-{n}" / "trainer_state.json").write_text('{"log_history": []}')
    assert list(read_log(tmp_path)) == list(read_log(HF))


@pytest.mark.parametrize("layout", [
    {"runA/metrics.csv": LIGHTNING / "metrics.csv", "runB/metrics.csv": LIGHTNING / "metrics.csv"},
    {"bert/trainer_state.json": HF, "roberta/trainer_state.json": HF},
    {"runs/Dec01_10-00-00_host/x": None, "runs/Dec01_11-00-00_host/x": None},  # two SummaryWriter runs
    {"exp/metrics.csv": LIGHTNING / "metrics.csv", "exp2/trainer_state.json": HF},
])
def test_several_runs_are_listed_never_concatenated(tmp_path, layout, run_cli):
    for name, source in layout.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            shutil.copy(next(LIGHTNING.glob("*tfevents*")), path.parent / "events.out.tfevents.1.host")
        else:
            shutil.copy(source, path)
    with pytest.raises(InputError) as err:
        list(read_log(tmp_path))
    message = str(err.value)
    assert "2 runs" in message and "\n" not in message
    for name in layout:
        assert str(Path(name).parent) in message
    code, out, stderr = run_cli("diagnose", "--log", tmp_path)
    assert code == 2 and stderr.count("\n") == 1 and "2 runs" in stderr


def test_a_folder_without_a_log_says_what_it_looks_for(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="no trainer_state.json, metrics.csv.*MLflow run or TensorBoard event file"):
        detect_format(tmp_path)
