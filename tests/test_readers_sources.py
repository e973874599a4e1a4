"""Sources read from the files their libraries write: TensorBoard event files (without TensorBoard), the MLflow
file store, W&B exports and history, a Keras History dumped as JSON."""

from __future__ import annotations

import json
import math
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advisor.errors import InputError
from advisor.logs import analyze, detect_format, read_log

READERS = Path(__file__).parent / "fixtures" / "logs" / "readers"
TB = READERS / "tensorboard"  # SummaryWriter: Loss/train, Loss/test, Accuracy/*, grad_norm/<param>, lr as a tensor
MLRUNS = READERS / "mlruns"


# ------------------------------------------------------------------ TensorBoard

def test_tensorboard_tutorial_tags_per_layer_norms_and_tensor_scalars():
    records = list(read_log(TB))
    assert detect_format(TB) == "tensorboard" and len(records) == 40  # the 7 events of a step are one record
    first = records[0]
    assert first["step"] == 0 and first["loss"] == 2.0 and first["val_loss"] == pytest.approx(2.2)
    assert first["accuracy"] == pytest.approx(1 / 3) and first["val_accuracy"] == pytest.approx(1 - 2 / 2.8)
    assert first["layer_grad_norm"] == {"fc1.weight": 0.5, "fc2.weight": 1.5}
    assert first["lr"] == pytest.approx(1e-3)  # add_scalar(new_style=True): a TensorProto, not simple_value


def test_tensorboard_reader_matches_tensorboards_own_loader():
    loader = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader")
    tensor_util = pytest.importorskip("tensorboard.util.tensor_util")
    file = next(TB.glob("*tfevents*"))
    theirs: dict[tuple[int, str], float] = {}
    for event in loader.EventFileLoader(str(file)).Load():
        for value in event.summary.value:
            number = value.simple_value if value.HasField("simple_value") else \
                float(tensor_util.make_ndarray(value.tensor).item())
            theirs[(event.step, value.tag)] = number
    ours = {}
    for r in read_log(file):
        for key, tag in (("loss", "Loss/train"), ("val_loss", "Loss/test"), ("accuracy", "Accuracy/train"),
                         ("val_accuracy", "Accuracy/test"), ("lr", "lr")):
            ours[(int(r["step"]), tag)] = r[key]
        for name, norm in r["layer_grad_norm"].items():
            ours[(int(r["step"]), f"grad_norm/{name}")] = norm
    assert ours == pytest.approx(theirs)


_TAGS = st.sampled_from(["train/loss", "grad_norm/fc1.weight", "lr", "epoch", "x" * 120, "ünï/loss"])


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(st.tuples(st.one_of(st.sampled_from([-2, -1, 0, 127, 128, 16384, 2**35]), st.integers(0, 2**40)),
                                 _TAGS, st.floats(width=32), st.booleans()), max_size=40),
       other=st.booleans())
@example(events=[(5, "lr", 0.5, False), (-1, "lr", 0.5, False), (2**35, "lr", 0.25, False)], other=False)
def test_the_add_scalar_records_read_by_one_match_are_what_the_field_by_field_decoder_reads(tmp_path_factory, events,
                                                                                             other):
    # records as TensorBoard's own writer frames them: simple values and (some) one-element tensors, tags of
    # any length, steps of every varint size, negative ones too, and a file_version event first
    event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    from tensorboard.compat.proto import summary_pb2, tensor_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    from advisor.logs import tensorboard

    path = tmp_path_factory.mktemp("tb") / "events.out.tfevents.1.host"
    with open(path, "wb") as fh:
        writer = RecordWriter(fh)
        if other:
            writer.write(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())
        for step, tag, value, as_tensor in events:
            scalar = summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=1, float_val=[value])) \
                if as_tensor else summary_pb2.Summary.Value(tag=tag, simple_value=value)
            writer.write(event_pb2.Event(wall_time=1.7e9 + step, step=step,
                                         summary=summary_pb2.Summary(value=[scalar])).SerializeToString())
        writer.flush()
    fast = list(read_log(path))
    old, tensorboard._Scalars.MAX_TAGS = tensorboard._Scalars.MAX_TAGS, 0  # every record field by field
    try:
        careful = list(read_log(path))
    finally:
        tensorboard._Scalars.MAX_TAGS = old
    assert json.dumps(fast, sort_keys=True) == json.dumps(careful, sort_keys=True)


def test_add_scalar_records_after_the_first_of_each_tag_are_read_by_one_match(tmp_path, monkeypatch):
    event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    from advisor.logs import tensorboard

    path = tmp_path / "events.out.tfevents.1.host"
    with open(path, "wb") as fh:
        writer = RecordWriter(fh)
        for step in range(300):
            for tag in ("train/loss", "train/grad_norm", "train/lr"):
                writer.write(event_pb2.Event(wall_time=1.7e9 + step, step=step, summary=summary_pb2.Summary(
                    value=[summary_pb2.Summary.Value(tag=tag, simple_value=0.5)])).SerializeToString())
        writer.flush()
    decoded = []
    field_by_field = tensorboard._event
    monkeypatch.setattr(tensorboard, "_event", lambda *a: decoded.append(1) or field_by_field(*a))
    records = list(read_log(path))
    assert len(records) == 300 and records[-1] == {"step": 299.0, "loss": 0.5, "grad_norm": 0.5, "lr": 0.5}
    assert len(decoded) == 3  # the first record of each tag; the other 897 by one match each


def test_a_cut_event_file_reads_its_complete_records(tmp_path):
    data = next(TB.glob("*tfevents*")).read_bytes()
    cut = tmp_path / "events.out.tfevents.1.host"
    cut.write_bytes(data[: len(data) * 2 // 3])
    analysis = analyze(tmp_path)
    assert 0 < analysis.rows < 40 and any("cut short" in n for n in analysis.notes), analysis.notes


def test_a_damaged_event_file_is_one_line(tmp_path, run_cli):
    bad = tmp_path / "events.out.tfevents.2.host"
    bad.write_bytes(struct.pack("<QI", 6, 0) + b"\x2a\x05\x0a\x03\x0a\x01" + b"\0\0\0\0")  # a summary overrunning
    code, _, err = run_cli("diagnose", "--log", bad)
    assert code == 2 and err.count("\n") == 1 and "unreadable event record" in err
    (tmp_path / "events.out.tfevents.2.host").write_bytes(struct.pack("<QI", 2**40, 0))
    code, _, err = run_cli("diagnose", "--log", bad)
    assert code == 2 and err.count("\n") == 1


# ------------------------------------------------------------------ MLflow

def test_mlflow_run_folder_experiment_folder_and_store_root_read_the_one_run():
    run = next(p for p in MLRUNS.glob("*/*") if (p / "metrics").is_dir())
    expected = list(read_log(run))
    assert [r["step"] for r in expected] == list(range(30))  # the three metric files merged by step
    assert expected[4] == {"step": 4.0, "loss": pytest.approx(2 / 1.8), "val_loss": pytest.approx(2.2 / 1.8),
                           "lr": 1e-3}  # train/loss is a file under metrics/train/
    for path in (run.parent, MLRUNS):
        assert detect_format(path) == "mlflow" and list(read_log(path)) == expected


def test_two_mlflow_runs_are_listed(tmp_path):
    run = next(p for p in MLRUNS.glob("*/*") if (p / "metrics").is_dir())
    shutil.copytree(run, tmp_path / "1" / "aaa")
    shutil.copytree(run, tmp_path / "1" / "bbb")
    with pytest.raises(InputError, match=r"2 runs \(1/aaa, 1/bbb\)"):
        detect_format(tmp_path)


def test_a_running_mlflow_metric_file_keeps_its_complete_lines(tmp_path):
    run = next(p for p in MLRUNS.glob("*/*") if (p / "metrics").is_dir())
    shutil.copytree(run, tmp_path / "run")
    loss = tmp_path / "run" / "metrics" / "train" / "loss"
    loss.write_text(loss.read_text() + "1796129048999 0.3")
    notes: list[str] = []
    assert len(list(read_log(tmp_path / "run", notes=notes))) == 30 and notes


def test_a_malformed_mlflow_line_names_file_and_line(tmp_path):
    run = tmp_path / "run"
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text("run_id: x\n")
    (run / "metrics" / "loss").write_text("1 0.5 0\n2 high 1\n")
    with pytest.raises(InputError, match=r"loss:2:"):
        list(read_log(run))


# ------------------------------------------------------------------ Weights & Biases

def _export(runs: list[str], steps: int = 30) -> str:
    """A panel's Export CSV: every cell quoted; `<run> - <key>` with its __MIN/__MAX band."""
    header = ['"Step"'] + [f'"{run} - {suffix}"' for run in runs for suffix in
                           ("train/loss", "train/loss__MIN", "train/loss__MAX")]
    rows = [",".join([f'"{s}"'] + [f'"{2 / (1 + s / 5):.4f}"'] * (3 * len(runs))) for s in range(steps)]
    return "\n".join([",".join(header)] + rows) + "\n"


def test_wandb_panel_export_of_one_run(tmp_path):
    path = tmp_path / "wandb_export_2026-01-01T00_00_00.csv"
    path.write_text(_export(["brisk-pond-1"]))
    records = list(read_log(path))
    assert len(records) == 30 and records[5] == {"step": 5.0, "loss": 1.0}


def test_wandb_export_of_several_runs_names_them(tmp_path, run_cli):
    path = tmp_path / "export.csv"
    path.write_text(_export(["brisk-pond-1", "true-pond-2"]))
    code, _, err = run_cli("diagnose", "--log", path)
    assert code == 2 and err.count("\n") == 1 and "brisk-pond-1" in err and "true-pond-2" in err


def test_wandb_run_folder_history_and_summary(tmp_path):
    files = tmp_path / "wandb" / "run-20260101_000000-abc123" / "files"
    files.mkdir(parents=True)
    lines = [{"train/loss": 2 / (1 + s / 5), "_step": s, "_runtime": 1.5 * s, "_timestamp": 1.7e9 + s}
             | ({"val/loss": 2.2 / (1 + s / 5)} if s % 10 == 9 else {}) for s in range(40)]
    (files / "wandb-history.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (files / "wandb-summary.json").write_text(json.dumps({"train/loss": 0.2, "_step": 39, "_wandb": {"runtime": 60}}))
    records = list(read_log(tmp_path))
    assert len(records) == 40 and records[9] == {"step": 9.0, "loss": pytest.approx(2 / 2.8),
                                                  "val_loss": pytest.approx(2.2 / 2.8)}
    assert list(read_log(files / "wandb-summary.json")) == [{"step": 39.0, "loss": 0.2}]


# ------------------------------------------------------------------ Keras History

def test_keras_history_json_is_one_record_per_epoch():
    path = READERS / "keras_history.json"
    history = json.loads(path.read_text())
    analysis = analyze(path)
    assert analysis.format == "keras-history" and analysis.by_epoch and analysis.rows == len(history["loss"])
    records = list(read_log(path))
    assert [r["step"] for r in records] == list(range(len(history["loss"])))
    assert [r["val_loss"] for r in records] == history["val_loss"]
    assert analysis.values["epochs"][0] == len(history["loss"])


def test_keras_history_with_a_nan_epoch(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"loss": [0.9, 0.8, NaN], "val_loss": [1.0, 0.9, NaN]}')  # json.dump writes NaN so
    assert math.isnan(list(read_log(path))[2]["loss"])
