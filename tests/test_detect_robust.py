"""Detectors on the failure modes of issue 14: references not taken from the abnormal start, windows in epochs
or steps rather than logged points, symptoms that co-occur both reported, and findings that do not depend on
how densely (or how block-averaged) a run was logged."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import detect
from advisor.logs.merge import blocks


def healthy(n, *, every=1, seed=0, noise=0.1, epochs=None):
    """A healthy run: loss falling smoothly (a power law) with mini-batch noise, grad_norm normal, constant rate."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        step = float((i + 1) * every)
        rec = {"step": step, "loss": 2.5 * (1 + step / 1000) ** -0.3 * (1 + noise * rng.uniform(-1, 1)),
               "grad_norm": 1.0 * (1 + 0.3 * rng.uniform(-1, 1)), "lr": 3e-4}
        if epochs:
            rec["epoch"] = step / (n * every) * epochs
        out.append(rec)
    return out


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.sampled_from([1, 20, 500]), st.integers(0, 1000))
def test_a_healthy_long_run_raises_nothing_however_densely_it_was_logged(every, seed):
    # 20,000 logged points: 20,000 steps logged every step up to a 10M-step run logged every 500
    found = detect.run(healthy(20_000, every=every, seed=seed))
    assert found == [], [str(f) for f in found]


def test_a_healthy_run_gives_the_same_findings_block_averaged():
    recs = healthy(30_000, every=1, seed=3, epochs=3)
    assert detect.run(recs) == [] and detect.run(blocks(recs, 50)) == []


@pytest.mark.heavy
def test_a_healthy_million_step_run_raises_nothing():
    found = detect.run(healthy(1_000_000, seed=5))
    assert found == [], [str(f) for f in found]


def test_an_isolated_inf_stays_an_isolated_event_when_blocks_are_averaged():
    recs = [{"step": float(i), "loss": 1.0, "grad_norm": 1.0} for i in range(3000)]
    recs[1234]["grad_norm"] = math.inf  # loss scaling skipping one step
    assert detect.nan_loss(blocks(recs, 100)) is None
    for i in (2000, 2001, 2002):  # three in a row: the weights are gone
        recs[i]["grad_norm"] = math.inf
    f = detect.nan_loss(blocks(recs, 100))
    assert f and f.step == 2000
    recs[2500]["loss"] = math.nan
    assert detect.run(blocks(recs, 100), only=["nan-loss"])[0].step == 2000


def test_blocks_average_per_layer_norms_name_by_name():
    recs = [{"step": float(i), "loss": 1.0, "layer_grad_norm": {"a": float(i), "b": 1.0}} for i in range(4)]
    (merged,) = blocks(recs, 4)
    assert merged["layer_grad_norm"] == {"a": 1.5, "b": 1.0} and merged["_rows"] == 4 and merged["step"] == 3


def test_a_spiky_start_hides_no_later_explosion():
    rng = random.Random(1)
    grads = [40.0, 90.0, 60.0, 30.0] + [1.0 * (1 + 0.2 * rng.uniform(-1, 1)) for _ in range(200)] + [60.0] * 10
    recs = [{"step": float(i), "loss": 0.5, "grad_norm": g} for i, g in enumerate(grads)]
    f = detect.exploding_gradients(recs)
    assert f and f.step == 206  # where the median of 5 first stood high


def test_median_window_of_one_works():
    recs = [{"step": float(i), "loss": 2.0 / (1 + i / 10)} for i in range(100)]
    assert detect.run(recs, thresholds=detect.with_thresholds(median_window=1)) == []
    with pytest.raises(ValueError, match="median_window=0"):
        detect.with_thresholds(median_window=0)


def test_warmup_points_leave_the_start_out_of_the_references():
    # an init transient far above the plateau: with the start counted, the loss "fell" 70%
    early = [8.0, 7.0, 6.0, 5.0, 4.0, 3.0]
    recs = [{"step": float(i), "loss": v, "lr": 1e-3} for i, v in enumerate(early + [2.303] * 100)]
    assert detect.loss_plateau(recs) is not None


def test_a_keras_csv_of_a_few_epochs_is_analysed():
    # one row per epoch, 12 epochs: a model too small for its task stays at chance level
    rows = [{"step": float(e), "epoch": float(e), "loss": 0.69 - 0.001 * e, "val_loss": 0.695 - 0.001 * e,
             "accuracy": 0.52, "val_accuracy": 0.51} for e in range(12)]
    found = {f.symptom: f for f in detect.run(rows)}
    assert "underfitting" in found, found
    # a loss that never fell is no plateau (nothing stopped), and a stuck loss inferred to be vanishing
    # gradients does not explain the underfitting away: a model too small for its task looks the same
    assert "loss-plateau" not in found and "inferred from the loss" in found["vanishing-gradients"].evidence


def test_saturated_outputs_do_not_hide_the_plateau_and_underfitting():
    # the weights blew up in the first epochs; the outputs saturated and the loss stays at that wrong level
    loss = [14.0, 11.0, 9.5] + [8.0 + 0.01 * (e % 2) for e in range(37)]
    rows = [{"step": float(e), "epoch": float(e), "loss": v, "val_loss": 8.3, "accuracy": 0.5,
             "val_accuracy": 0.48} for e, v in enumerate(loss)]
    found = {f.symptom for f in detect.run(rows)}
    assert {"diverging-loss", "loss-plateau", "underfitting"} <= found, found


def test_label_noise_is_not_an_ignored_minority():
    # 10% of the labels flipped on a balanced task: validation accuracy 0.9 and loss at the entropy of a 10%
    # minority, like a model predicting a 9:1 prior; but the training accuracy is 0.99
    prior = -(0.1 * math.log(0.1) + 0.9 * math.log(0.9))
    rng = random.Random(5)
    rows = []
    for e in range(10):  # per-batch training accuracy, as a training loop logs it
        rows += [{"step": float(e * 10 + i), "epoch": e + i / 10, "loss": 0.05, "accuracy": rng.uniform(0.96, 1.0)}
                 for i in range(10)]
        rows[-1].update(val_loss=prior, val_accuracy=0.9)
    assert detect.minority_class_ignored(rows) is None
    ignored = [{**r, "accuracy": rng.uniform(0.85, 0.95)} for r in rows]
    assert detect.minority_class_ignored(ignored) is not None


def test_a_rise_within_the_noise_is_not_divergence():
    rng = random.Random(7)
    # a loss that has not fallen yet, noisy: medians of 5 at 2x an early value happen; a sustained rise does not
    values = [0.5 * (1 + 0.8 * rng.uniform(-1, 1)) for _ in range(400)]
    assert detect.diverging_loss([{"step": float(i), "loss": v} for i, v in enumerate(values)]) is None


def test_the_monitor_sees_no_vanishing_gradients_in_twenty_flat_steps():
    from advisor import Monitor

    monitor = Monitor(advise=False)
    for step in range(20):
        monitor.update(step, loss=0.693, grad_norm=0.3)
    assert monitor.findings == []


_NORM = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e-320, 1e308]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.dictionaries(st.text(min_size=1, max_size=5), _NORM, max_size=4), min_size=1, max_size=40),
       st.lists(_NORM, min_size=1, max_size=40))
def test_any_per_layer_norms_are_taken_without_raising(layers, losses):
    analyzer = detect.Analyzer()
    for i, layer in enumerate(layers):
        analyzer.update({"step": float(i), "loss": losses[i % len(losses)], "layer_grad_norm": layer})
    analyzer.finish()
    for merged in blocks(({"step": float(i), "layer_grad_norm": layer} for i, layer in enumerate(layers)), 3):
        analyzer.update(merged)


_CELL = st.one_of(st.just(""), st.sampled_from(["nan", "inf", "-inf"]),
                  st.floats(-1e6, 1e6, allow_nan=False).map(repr))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=1, max_size=300), st.integers(2, 40),
       st.booleans())
def test_a_csv_merged_while_read_gives_the_blocks_of_its_records(tmp_path_factory, rows, size, lightning):
    """The reader's column-by-column merge of a long CSV is the record merge (reduce.blocks), events included:
    empty cells, NaN and inf anywhere, a loss column with gaps."""
    from advisor.logs import plain

    path = tmp_path_factory.mktemp("merge") / "log.csv"
    path.write_text("step,loss,val_loss,grad_norm\n" + "".join(f"{i},{a},{b},{c}\n" for i, (a, b, c) in
                                                               enumerate(rows, start=1)))
    options = {"missing_is_nan": not lightning}
    try:
        expected = list(blocks(plain.read_csv(path, **options), size))
    except Exception as exc:  # a file the reader refuses is refused merged too
        with pytest.raises(type(exc)):
            list(plain.read_csv(path, block=size, **options))
        return
    merged = list(plain.read_csv(path, block=size, **options))
    assert [sorted(r) for r in merged] == [sorted(r) for r in expected]
    for got, want in zip(merged, expected):
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key


def test_a_long_finite_csv_is_merged_column_by_column_across_batches(tmp_path):
    from advisor.logs import plain

    path = tmp_path / "long.csv"
    path.write_text("step,epoch,loss,val_loss\n" + "".join(
        f"{i},{i // 5000},{2 / (1 + i / 500)},{'' if i % 1000 else 1 / (1 + i / 500)}\n" for i in range(1, 30001)))
    merged, expected = list(plain.read_csv(path, block=300)), list(blocks(plain.read_csv(path), 300))
    assert len(merged) == len(expected) and all(a == pytest.approx(b) for a, b in zip(merged, expected))
    assert len(merged) == 100 and sum(r["_rows"] for r in merged) == 30000


def test_a_merged_log_says_so_in_its_notes(tmp_path):
    from advisor.logs import analyze

    path = tmp_path / "long.csv"  # past 2 MB: merged to about MAX_POINTS points
    path.write_text("step,loss,grad_norm\n" + "".join(f"{i},{2 / (1 + i / 5000):.6f},1.0\n" for i in range(1, 120_001)))
    analysis = analyze(path)
    assert analysis.rows == 120_000 and not analysis.findings
    assert any("rows were merged into one point" in note for note in analysis.notes), analysis.notes


def test_a_long_trainer_state_is_merged_too_and_keeps_its_nan_an_event_of_its_own(tmp_path):
    import json

    from advisor.logs import analyze

    history = [{"epoch": i / 1000, "grad_norm": 1.0, "learning_rate": 3e-4, "step": i,
                "loss": float("nan") if i == 40_000 else 2 / (1 + i / 5000)} for i in range(1, 60_001)]
    path = tmp_path / "trainer_state.json"  # as the Trainer writes it (indent=2): past 2 MB
    path.write_text(json.dumps({"global_step": 60_000, "log_history": history}, indent=2))
    analysis = analyze(path)
    assert analysis.rows == 60_000
    assert any("rows were merged into one point" in note for note in analysis.notes), analysis.notes
    assert [(f.symptom, f.step) for f in analysis.findings] == [("nan-loss", 40_000)]


@pytest.mark.heavy
def test_a_long_tensorboard_log_is_merged_too_and_keeps_its_nan_an_event_of_its_own(tmp_path):
    from advisor.logs import analyze

    event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    path = tmp_path / "events.out.tfevents.1.host"
    with open(path, "wb") as fh:
        writer = RecordWriter(fh)
        for step in range(1, 40_001):
            loss = float("nan") if step == 30_000 else 2 / (1 + step / 5000)
            for tag, value in (("train/loss", loss), ("train/grad_norm", 1.0), ("train/lr", 3e-4)):
                writer.write(event_pb2.Event(wall_time=1.7e9 + step, step=step, summary=summary_pb2.Summary(
                    value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])).SerializeToString())
        writer.flush()
    analysis = analyze(path)
    assert analysis.rows == 40_000
    assert any("rows were merged into one point" in note for note in analysis.notes), analysis.notes
    assert [(f.symptom, f.step) for f in analysis.findings] == [("nan-loss", 30_000)]
