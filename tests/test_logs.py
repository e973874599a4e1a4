"""Log readers: format detection on real library logs, streaming, and errors that name file and line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.errors import InputError
from advisor.logs import analyze, columns, detect_format, read_log

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _fixture_format(name: str) -> str:
    if name.endswith("trainer_state.json"):
        return "hf-trainer"
    return {"lightning": "lightning", "keras": "keras"}.get(name.split("_")[0],
                                                            "jsonl" if name.endswith(".jsonl") else "csv")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_is_recognised_and_read(name):
    path = FIXTURES / name
    assert detect_format(path) == _fixture_format(name)
    records = list(read_log(path))
    assert len(records) >= 10
    assert all("step" in r for r in records)
    assert any("loss" in r for r in records)
    steps = [r["step"] for r in records]
    assert steps == sorted(steps), "steps come out in log order"


def test_hf_trainer_state_maps_eval_keys_and_skips_the_run_summary():
    path = next(FIXTURES.glob("hf_healthy*"))
    history = json.loads(path.read_text())["log_history"]
    records = list(read_log(path))
    assert len(records) == len(history) - 1  # the summary entry (train_runtime, averaged train_loss) is no point
    assert any("val_loss" in r and "val_accuracy" in r for r in records)
    assert any("grad_norm" in r and "lr" in r for r in records)


def test_hf_output_folder_finds_the_latest_checkpoint(tmp_path):
    source = next(FIXTURES.glob("hf_healthy*")).read_text()
    for n in (5, 40):
        (tmp_path / f"checkpoint-{n}").mkdir()
        (tmp_path / f"checkpoint-{n}" / "trainer_state.json").write_text(source if n == 40 else "{}")
    assert detect_format(tmp_path) == "hf-trainer"
    assert len(list(read_log(tmp_path))) > 10


def test_keras_epochs_are_the_x_axis():
    records = list(read_log(FIXTURES / "keras_healthy.csv"))
    assert [r["step"] for r in records] == [r["epoch"] for r in records] == list(range(len(records)))


def test_lightning_prefers_the_per_step_loss_column():
    header = (FIXTURES / "lightning_healthy.csv").read_text().split("\n", 1)[0].split(",")
    chosen = columns.choose(header)
    assert header[chosen["loss"]] == "train_loss_step"
    assert header[chosen["lr"]].startswith("lr-")
    assert header[chosen["grad_norm"]] == "grad_2.0_norm_total"


def test_sparse_rows_and_missing_markers(tmp_path):
    log = tmp_path / "run.csv"
    log.write_text("step,loss,val_loss,note\n1,0.9,,warm\n2,NA,0.8,\n3,nan,None,x\n4,inf,,\n\n")
    records = list(read_log(log))
    assert records[0] == {"step": 1.0, "loss": 0.9}
    assert records[1] == {"step": 2.0, "val_loss": 0.8}
    assert math.isnan(records[2]["loss"]) and records[3]["loss"] == math.inf


def test_tab_separated_and_no_step_column(tmp_path):
    log = tmp_path / "run.tsv"
    log.write_text("loss\tval_loss\n0.9\t1.0\n0.8\t0.95\n")
    assert [r["step"] for r in read_log(log)] == [1.0, 2.0]


@pytest.mark.parametrize("text, line, words", [
    ("step,loss\n1,0.5\n2,abc\n", 3, "'abc'"),
    ("step,loss\n1,0.5\n2,0.4,7\n", 3, "3 fields"),
    ("step,loss\n1,0.5\ninf,0.3\n", 3, "step"),
    ("wall_time,note\n1,a\n", 1, "no metric column"),
    ("\n\n", 1, "header"),
])
def test_malformed_csv_is_one_line_naming_file_and_line(tmp_path, text, line, words):
    log = tmp_path / "bad.csv"
    log.write_text(text)
    with pytest.raises(InputError) as err:
        analyze(log)
    message = str(err.value)
    assert f"{log}:{line}:" in message and words in message and "\n" not in message
    assert err.value.field == "log"


@pytest.mark.parametrize("text, line", [
    ('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": \n', 2),
    ('{"step": 1, "loss": 0.5}\n[1, 2]\n', 2),
    ('{"step": 1, "loss": "high"}\n', 1),
])
def test_malformed_jsonl(tmp_path, text, line):
    log = tmp_path / "bad.jsonl"
    log.write_text(text)
    with pytest.raises(InputError, match=rf"{tmp_path}.*bad.jsonl:{line}:"):
        analyze(log)


def test_broken_trainer_state(tmp_path):
    state = tmp_path / "trainer_state.json"
    state.write_text('{"log_history": [{"step": 1, "loss": 0.5},\n {"step": 2, "loss": }]}')
    with pytest.raises(InputError, match=r"trainer_state.json:2: not valid JSON"):
        analyze(state)
    state.write_text('{"global_step": 3}')
    with pytest.raises(InputError, match="log_history"):
        analyze(state)


def test_missing_file_and_unknown_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        analyze(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="no trainer_state.json"):
        analyze(tmp_path)


@pytest.mark.heavy
def test_tensorboard_events_written_by_torch_are_read(tmp_path):
    SummaryWriter = pytest.importorskip("torch.utils.tensorboard").SummaryWriter
    writer = SummaryWriter(str(tmp_path))
    for step in range(30):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.add_scalar("val/loss", 1.0 / (step + 1) + 0.1, step)
    writer.close()
    records = list(read_log(tmp_path))
    # one record per step: the two add_scalar events of a step are merged
    assert detect_format(tmp_path) == "tensorboard" and len(records) == 30
    assert records[3] == {"step": 3.0, "loss": pytest.approx(0.25), "val_loss": pytest.approx(0.35)}


# ---- properties ----------------------------------------------------------------------------------

NAMES = ["step", "epoch", "loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "learning_rate", "lr",
         "gpu_util", "train_loss_step", "lr-AdamW", "eval_loss", "wall_time", "note"]
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "None", "1e-9", "3.5e4"]),
)


@st.composite
def well_formed(draw):
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=8, unique=True))
    if not set(names) - {"step", "epoch", "wall_time", "note"}:
        names.append("loss")
    rows = draw(st.lists(st.lists(CELLS, min_size=len(names), max_size=len(names)), max_size=60))
    for row in rows:
        for i, name in enumerate(names):
            if name in ("step", "epoch") and row[i] not in ("", "NA", "None"):
                value = float(row[i])
                if not math.isfinite(value):
                    row[i] = "1"
    return names, rows


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(well_formed(), st.booleans())
def test_random_well_formed_logs_never_crash(tmp_path_factory, log, as_jsonl):
    names, rows = log
    folder = tmp_path_factory.mktemp("wf")
    if as_jsonl:
        path = folder / "log.jsonl"
        path.write_text("".join(json.dumps({n: (float(c) if c not in ("", "NA", "None") else None)
                                            for n, c in zip(names, row)}) + "\n" for row in rows))
    else:
        path = folder / "log.csv"
        path.write_text(",".join(names) + "\n" + "".join(",".join(row) + "\n" for row in rows))
    try:
        analysis = analyze(path)
    except InputError as exc:
        assert "no logged values" in str(exc)  # every cell empty: nothing to analyse, said in one line
        return
    assert analysis.rows >= 1
    for finding in analysis.findings:
        assert finding.symptom and finding.evidence and math.isfinite(finding.step)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(well_formed(), st.data())
def test_one_bad_cell_names_file_and_line(tmp_path_factory, log, data):
    names, rows = log
    metric_columns = [i for i, n in enumerate(names) if columns.classify(n)]
    if not rows or not metric_columns:
        return
    row = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from(metric_columns))
    chosen = columns.choose(names)
    if column not in chosen.values():
        return  # a lower-ranked duplicate (loss beside train_loss_step) is never read
    rows[row][column] = data.draw(st.sampled_from(["abc", "1,2", "0.5.5", "--", "x1"]))
    path = tmp_path_factory.mktemp("bad") / "log.csv"
    path.write_text(",".join(names) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    with pytest.raises(InputError) as err:
        analyze(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    assert f":{row + 2}:" in message


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_input_error_or_analysis(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("bytes") / "log.csv"
    path.write_bytes(blob)
    try:
        analyze(path)
    except InputError as exc:
        assert "\n" not in str(exc)


# ---- CLI ------------------------------------------------------------------------------------------

def test_cli_json_has_detected_and_merges_symptoms(run_cli):
    code, out, err = run_cli("diagnose", "--log", FIXTURES / "torch_lr_too_high.csv", "--symptom", "out-of-memory",
                             "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    detected = {d["symptom"] for d in report["detected"]}
    assert "diverging-loss" in detected
    assert set(report["setup"]["symptoms"]) == detected | {"out-of-memory"}
    assert all(set(d) == {"symptom", "step", "evidence"} for d in report["detected"])
    assert any(any(ch.isdigit() for ch in d["evidence"]) for d in report["detected"])


def test_cli_terminal_shows_the_chart_with_events(run_cli):
    code, out, err = run_cli("diagnose", "--log", FIXTURES / "keras_overfit_tiny_data.csv", "--top", "1")
    assert code == 0, err
    assert "• loss" in out and "o val_loss" in out and "└" in out
    assert "A overfitting from epoch" in out


def test_cli_healthy_log_says_nothing_detected(run_cli):
    code, out, err = run_cli("diagnose", "--log", FIXTURES / "torch_healthy.csv", "--format", "json")
    assert code == 0 and json.loads(out)["detected"] == []


def test_cli_bad_log_and_plot_without_log_exit_2(run_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("step,loss\n1,zero\n")
    code, out, err = run_cli("diagnose", "--log", bad)
    assert code == 2 and f"{bad}:2:" in err and err.count("\n") == 1
    code, _, err = run_cli("diagnose", "--plot", tmp_path / "x.png")
    assert code == 2 and "--log" in err


def test_cli_plot_writes_a_figure(run_cli, tmp_path):
    pytest.importorskip("matplotlib")
    for suffix in (".png", ".svg", ".html"):
        figure = tmp_path / f"curve{suffix}"
        code, _, err = run_cli("diagnose", "--log", FIXTURES / "torch_lr_too_high.csv", "--plot", figure,
                               "--format", "json")
        assert code == 0, err
        assert figure.stat().st_size > 1000
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    code, _, err = run_cli("diagnose", "--log", FIXTURES / "torch_lr_too_high.csv", "--plot", tmp_path / "x.jpg")
    assert code == 2 and "png" in err
