"""Cells and lines as writers leave them: NaN written as missing, a half-written last line, a BOM, line ends,
column names of other conventions; and the fast CSV path reads exactly what the cell-by-cell path reads."""

from __future__ import annotations

import gzip
import itertools
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.errors import InputError
from advisor.logs import analyze, plain, read_log, source

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
LIGHTNING = FIXTURES / "readers" / "lightning" / "version_0" / "metrics.csv"


def losses(path: Path) -> list[float | None]:
    return [r.get("loss") for r in read_log(path)]


def nan(value: float | None) -> bool:
    return value is not None and math.isnan(value)


# ------------------------------------------------------------------ NaN written as missing

@pytest.mark.parametrize("cell", ["", "NA", "nan", "null", "None", "NaN"])
def test_a_plain_csv_loss_written_as_missing_is_nan(tmp_path, cell):
    # pandas' to_csv writes NaN as an empty cell; R writes NA
    path = tmp_path / "run.csv"
    path.write_text(f"step,loss,val_loss\n1,0.9,\n2,{cell},\n3,0.7,0.8\n")
    found = losses(path)
    assert found[0] == 0.9 and nan(found[1]) and found[2] == 0.7


def test_a_validation_row_leaves_the_training_loss_unlogged_not_nan(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("step,loss,val_loss\n1,0.9,\n2,,0.8\n3,0.7,\n")
    assert read_log(path).__next__() == {"step": 1.0, "loss": 0.9}
    assert list(read_log(path))[1] == {"step": 2.0, "val_loss": 0.8}


def test_lightning_empty_cells_are_metrics_logged_on_other_rows():
    # the real CSVLogger file: LearningRateMonitor rows and validation rows leave train_loss_step empty
    records = list(read_log(LIGHTNING))
    assert not any(nan(r.get("loss")) for r in records)
    assert any("loss" not in r and "lr" in r for r in records) and any("val_loss" in r for r in records)


def test_keras_na_is_an_absent_key_and_nan_is_nan(tmp_path):
    path = tmp_path / "log.csv"  # CSVLogger writes NA for a key absent that epoch, str(nan) for a NaN
    path.write_text("epoch,loss,val_loss\n0,0.9,NA\n1,nan,0.8\n2,0.7,NA\n")
    records = list(read_log(path))
    assert [r["step"] for r in records] == [0, 1, 2]
    assert "val_loss" not in records[0] and nan(records[1]["loss"]) and records[2] == {"epoch": 2.0, "step": 2.0,
                                                                                          "loss": 0.7}


def test_json_null_loss_is_nan_and_an_absent_key_is_not_logged(tmp_path):
    path = tmp_path / "run.jsonl"  # orjson and pandas' to_json write NaN as null
    path.write_text('{"step": 1, "loss": 0.9}\n{"step": 2, "loss": null}\n{"step": 3, "val_loss": 0.8}\n'
                    '{"step": 4, "loss": 0.7, "val_loss": null}\n{"step": 5, "loss": NaN}\n')
    records = list(read_log(path))
    assert nan(records[1]["loss"]) and "loss" not in records[2] and "val_loss" not in records[3]
    assert nan(records[4]["loss"])


def test_a_nan_loss_written_as_missing_is_found_by_the_detectors(tmp_path):
    path = tmp_path / "run.csv"
    rows = "".join(f"{i},{2 - i / 100:.4f}\n" for i in range(1, 80)) + "".join(f"{i},\n" for i in range(80, 90))
    path.write_text("step,loss\n" + rows)
    assert "nan-loss" in analyze(path).symptoms()


# ------------------------------------------------------------------ a running job's last line

def test_jsonl_with_a_half_written_last_line_reads_the_complete_ones(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text("".join(json.dumps({"step": i, "loss": 1 / i}) + "\n" for i in range(1, 40)) + '{"step": 40, "lo')
    analysis = analyze(path)
    assert analysis.rows == 39
    assert any("run.jsonl:40" in n and "no line end" in n for n in analysis.notes), analysis.notes


def test_jsonl_whose_last_line_is_whole_but_unterminated_is_read_whole(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}')
    assert losses(path) == [0.5, 0.4]


def test_a_broken_line_that_is_not_the_last_is_still_an_error(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text('{"step": 1, "loss": 0.5}\n{"step": 2, "lo\n{"step": 3, "loss": 0.4}\n')
    with pytest.raises(InputError, match=r"run.jsonl:2:"):
        list(read_log(path))


@pytest.mark.parametrize("tail", ["2,0.", "2,0", "2", "2,0.4"])
def test_a_csv_cut_mid_row_drops_that_row_never_reads_zero(tmp_path, tail):
    path = tmp_path / "run.csv"
    path.write_text("step,loss\n1,0.5\n" + tail)
    notes: list[str] = []
    assert list(read_log(path, notes=notes)) == [{"step": 1.0, "loss": 0.5}]
    assert notes and "run.csv:3" in notes[0] and "not read" in notes[0]


# ------------------------------------------------------------------ encodings, line ends, names

def test_a_utf8_bom_keeps_the_step_column(tmp_path):
    path = tmp_path / "run.csv"
    path.write_bytes("\ufeffstep,loss\n10,0.5\n20,0.4\n".encode())
    assert [r["step"] for r in read_log(path)] == [10.0, 20.0]


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_line_ends_of_every_platform(tmp_path, end):
    path = tmp_path / "run.csv"
    path.write_bytes(end.join(["step,loss", "1,0.5", "2,0.4", ""]).encode())
    assert losses(path) == [0.5, 0.4]


def test_global_step_total_loss_eval_loss(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("global_step,total_loss,eval_loss\n100,2.1,\n200,1.9,2.0\n")
    assert list(read_log(path)) == [{"step": 100.0, "loss": 2.1}, {"step": 200.0, "loss": 1.9, "val_loss": 2.0}]


def test_split_after_the_metric_and_per_layer_gradient_norms(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("step,Loss/train,Loss/test,Accuracy/train,grad_norm/fc1.weight,grad_norm/fc2.weight,lr\n"
                    "1,0.9,1.0,0.5,0.01,0.2,1e-3\n2,0.8,0.95,0.6,,0.1,1e-3\n")
    records = list(read_log(path))
    assert records[0] == {"step": 1.0, "loss": 0.9, "val_loss": 1.0, "accuracy": 0.5, "lr": 1e-3,
                          "layer_grad_norm": {"fc1.weight": 0.01, "fc2.weight": 0.2}}
    assert records[1]["layer_grad_norm"] == {"fc2.weight": 0.1}


def test_lightning_grad_norm_utility_columns():
    records = [r for r in read_log(LIGHTNING) if "layer_grad_norm" in r]
    assert records and set(records[0]["layer_grad_norm"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert all("grad_norm" in r for r in records)  # grad_2.0_norm_total is the global norm


# ------------------------------------------------------------------ JSON documents and compression

def test_a_json_array_of_records_plain_and_gzipped(tmp_path):
    records = [{"step": i, "loss": 1 / i, "val_loss": None if i % 5 else 1.1 / i} for i in range(1, 30)]
    text = json.dumps(records)  # pandas' to_json(orient="records") shape
    (tmp_path / "history.json").write_text(text)
    (tmp_path / "history.json.gz").write_bytes(gzip.compress(text.encode()))
    a, b = analyze(tmp_path / "history.json"), analyze(tmp_path / "history.json.gz")
    assert a.format == b.format == "json" and a.rows == b.rows == 29 and a.curves == b.curves
    assert a.curves["val_loss"] and not any(nan(r.get("val_loss")) for r in read_log(tmp_path / "history.json"))


def test_a_gzipped_trainer_state_reads_as_the_plain_one(tmp_path):
    state = FIXTURES / "hf_healthy_trainer_state.json"
    (tmp_path / "trainer_state.json.gz").write_bytes(gzip.compress(state.read_bytes()))
    assert list(read_log(tmp_path / "trainer_state.json.gz")) == list(read_log(state))


def test_a_json_document_of_no_known_shape_is_one_line(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"model": "bert", "layers": 12}')
    with pytest.raises(InputError, match="no `log_history` list.*array of records.*Keras History"):
        list(read_log(path))


# ------------------------------------------------------------------ the fast path is the cell-by-cell path

CELL = st.one_of(st.floats(allow_nan=False, allow_infinity=True, width=32).map(repr), st.integers(-99, 99).map(str),
                 st.sampled_from(["", "", "nan", "NA", "1e999", '"0.5"', "x"]))


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.sampled_from(["step", "epoch", "loss", "val_loss", "grad_norm", "lr", "note"]), min_size=1,
                      max_size=6, unique=True),
       rows=st.lists(st.lists(CELL, min_size=6, max_size=6), max_size=30), chunk=st.sampled_from([7, 64, 1 << 18]),
       blank=st.booleans(), block=st.sampled_from([1, 4]))
def test_fast_and_cell_by_cell_csv_reading_agree(tmp_path_factory, names, rows, chunk, blank, block):
    if "step" in names:  # a finite step, else both paths refuse the row the same way
        for row in rows:
            row[names.index("step")] = str(rows.index(row))
    text = ",".join(names) + "\n" + "".join(",".join(r[:len(names)]) + "\n" + ("\n" if blank else "") for r in rows)
    path = tmp_path_factory.mktemp("csv") / "run.csv"
    path.write_text(text)
    # blocks of lines as small as 7 characters: rows cut across blocks, and merged blocks of rows carried over
    old, source.Lines.CHUNK = source.Lines.CHUNK, chunk
    try:
        fast = _outcome(lambda: list(plain.read_csv(path, block=block)))
        slow = _outcome(lambda: list(itertools.chain.from_iterable(
            plain._read_csv(path, False, True, None, fast=False, done=0, block=block))))
    finally:
        source.Lines.CHUNK = old
    assert json.dumps(fast) == json.dumps(slow)  # NaN compares equal as text


def _outcome(read):
    try:
        return read()
    except InputError as exc:
        return str(exc)
