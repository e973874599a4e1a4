"""advisor.Monitor: live findings with advice, a stop signal, and a per-step cost small enough for every step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import advisor
from advisor import detect, pipeline
from advisor.logs import analyze, read_log

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def test_monitor_is_exported_lazily():
    code = ("import sys, advisor\n"
            "assert 'advisor.live.monitor' not in sys.modules and 'pydantic' not in sys.modules\n"
            "m = advisor.Monitor(advise=False)\n"
            "m.update(1, loss=0.5)\n"
            "assert 'pydantic' not in sys.modules, 'findings without advice need no pydantic'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nan_finding_comes_with_advice_and_asks_to_stop():
    monitor = advisor.Monitor({"precision": "fp16", "framework": "pytorch"})
    assert monitor.update(1, loss=0.70) == [] and monitor.update(2, loss=0.69) == []
    found = monitor.update(3, loss=float("nan"), grad_norm=float("inf"))
    assert [f.symptom for f in found] == ["nan-loss"]
    assert monitor.should_stop
    strategies = [item.strategy for item in found[0].advice]
    assert strategies and "safer-precision" in strategies  # fp16 given: the precision is the first suspect
    assert found[0].advice[0].rank == 1
    assert monitor.update(4, loss=float("nan")) == []  # each symptom is reported once


def test_stop_on_can_be_narrowed_and_is_checked():
    monitor = advisor.Monitor(stop_on=(), advise=False)
    monitor.update(1, loss=float("inf"))
    assert monitor.findings and not monitor.should_stop
    with pytest.raises(ValidationError, match="stop_on"):
        advisor.Monitor(stop_on=["nan-los"])
    one = advisor.Monitor(stop_on="nan-loss", advise=False)  # one symptom id, not its characters
    assert one.stop_on == {"nan-loss"}
    one.update(1, loss=float("nan"))
    assert one.should_stop


def test_should_stop_only_once_a_stop_on_symptom_is_found():
    # a diverged run stops the overfitting detector (its curve is a consequence now): no overfitting was found
    monitor = advisor.Monitor(stop_on="overfitting", advise=False)
    for i, loss in enumerate([2.0 - 0.05 * i for i in range(30)] + [5.0] * 20):
        monitor.update(i + 1, loss=loss, val_loss=loss * 1.02)
    assert [f.symptom for f in monitor.findings] == ["diverging-loss"] and not monitor.should_stop


def test_thresholds_change_what_the_monitor_finds():
    values = [2.0 - 0.05 * i for i in range(30)] + [0.5 + 0.02 * i for i in range(30)]
    strict = detect.with_thresholds(diverge_rise=5.0, diverge_blowup=100.0)
    for thresholds, expected in ((None, ["diverging-loss"]), (strict, [])):
        monitor = advisor.Monitor(advise=False, thresholds=thresholds)
        for i, loss in enumerate(values):
            monitor.update(i + 1, loss=loss)
        assert [f.symptom for f in monitor.findings] == expected


def test_metric_names_and_tensors():
    torch = pytest.importorskip("torch")
    monitor = advisor.Monitor(advise=False)
    monitor.update(1, loss=torch.tensor(0.5), lr=1e-3, train_loss_step=None)
    with pytest.raises(ValidationError, match="did you mean 'val_loss'"):
        monitor.update(2, val_los=0.3)


def test_unknown_metric_name_is_an_input_error():
    with pytest.raises(ValidationError, match="known: loss"):
        advisor.Monitor(advise=False).update(1, throughput=3.0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_replaying_a_real_log_live_finds_what_the_log_analysis_finds(name):
    monitor = advisor.Monitor(advise=False, stop_on=())
    live = []
    for record in read_log(FIXTURES / name):
        record = dict(record)
        step, epoch = record.pop("step"), record.pop("epoch", None)
        live += monitor.update(step, epoch=epoch, **record)
    live += monitor.close()
    assert sorted(f.symptom for f in live) == sorted(f.symptom for f in analyze(FIXTURES / name).findings)


def test_update_from_framework_logs():
    monitor = advisor.Monitor(advise=False)
    for step in range(1, 6):
        monitor.update_from(step, {"loss": 0.5, "grad_norm": 1.0, "eval_runtime": 3.2, "note": "x"})
    found = monitor.update_from(6, {"eval_loss": float("nan")})
    assert [f.symptom for f in found] == ["nan-loss"]


def test_a_long_healthy_run_gives_no_finding():
    # what one update costs is measured by benchmarks/bench_monitor.py, not asserted here
    import math

    monitor = advisor.Monitor(advise=False)
    for step in range(20_000):
        monitor.update(step, loss=1 / (1 + step / 500) + 0.02 * math.sin(step), grad_norm=1.0,
                       learning_rate=1e-3)
    assert monitor.findings == []


def test_layer_norms_are_taken_by_name_or_from_framework_logs():
    given, logged = advisor.Monitor(advise=False), advisor.Monitor(advise=False)
    for step in range(40):
        given.update(step, loss=2.3, grad_norm=0.5, layer_grad_norm={"conv1.weight": 1e-7, "fc.weight": 0.5})
        logged.update_from(step, {"train_loss": 2.3, "grad_2.0_norm/conv1.weight": 1e-7,
                                  "grad_2.0_norm/fc.weight": 0.5, "grad_2.0_norm_total": 0.5})
    for monitor in (given, logged):
        assert [f.symptom for f in monitor.findings] == ["vanishing-gradients"]
        assert "first layer's gradient norm (conv1.weight)" in monitor.findings[0].evidence


@pytest.mark.parametrize("value", [0.3, {}, ["fc.weight", 0.3], {"fc.weight": "small"}])
def test_layer_norms_that_are_not_a_mapping_of_numbers_are_refused(value):
    with pytest.raises(ValidationError, match="layer_grad_norm"):
        advisor.Monitor(advise=False).update(1, loss=0.5, layer_grad_norm=value)


_THRESHOLD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
                              st.floats(allow_nan=True, allow_infinity=True),
                              st.tuples(st.floats(-1, 2), st.floats(-1, 2)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(detect.Thresholds.__dataclass_fields__) + ["median_windw"]), _THRESHOLD_VALUES)
def test_thresholds_accept_a_sensible_value_or_raise_a_validation_error_naming_it(name, value):
    """Any value for any threshold (or a misspelt one): a Thresholds the monitor runs with, or pydantic's
    ValidationError naming the threshold; never a TypeError, an IndexError or a crash later in training."""
    try:
        thresholds = detect.with_thresholds(**{name: value})
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] == (name,)
        return
    monitor = advisor.Monitor(advise=False, thresholds=thresholds)
    for step in range(50):
        monitor.update(step, loss=1 / (1 + step), grad_norm=1.0, val_loss=1.2 / (1 + step), accuracy=0.5)
    monitor.close()


@pytest.mark.parametrize("setup, kwargs, field", [
    ("not a mapping", {}, "setup"),
    ({"gpu_mem_gb": "nan"}, {}, "gpu_mem_gb"),
    ({"gpu": "rtx9999"}, {}, "gpu"),
    ({"symptoms": ["nan-loss", "bogus"]}, {}, "symptoms"),
    (None, {"stop_on": ["nan-loss", "bogus"]}, "stop_on"),
    (None, {"stop_on": 3}, "stop_on"),
    (None, {"top": 0}, "top"),
    (None, {"thresholds": {"diverge_rise": 0.5}}, "thresholds"),
])
def test_bad_input_at_construction_is_refused_at_once(setup, kwargs, field):
    with pytest.raises(ValidationError, match=field):
        advisor.Monitor(setup, advise=False, **kwargs)


@pytest.mark.parametrize("step", [float("nan"), float("inf"), -float("inf"), "12", None, object(), 10**400])
def test_a_step_that_is_not_a_finite_number_is_refused_at_that_call(step):
    monitor = advisor.Monitor(advise=False)
    with pytest.raises(ValidationError, match="step"):
        monitor.update(step, loss=0.5)
    with pytest.raises(ValidationError, match="step"):
        monitor.update_from(step, {"loss": 0.5})
    with pytest.raises(ValidationError, match="epoch"):
        monitor.update(1, epoch=float("nan"), loss=0.5)
    assert monitor.update(2, loss=0.5) == []  # the monitor goes on


@pytest.mark.parametrize("value", ["0.5", b"0.5", object(), [0.5, 0.4], True])
def test_a_metric_that_is_not_a_number_is_refused_at_that_call(value):
    with pytest.raises(ValidationError, match="grad_norm"):
        advisor.Monitor(advise=False).update(1, loss=0.5, grad_norm=value)


def test_non_finite_metrics_are_signals_and_none_is_skipped():
    monitor = advisor.Monitor(advise=False, stop_on=())
    assert monitor.update(1, loss=None, grad_norm=None) == []
    assert [f.symptom for f in monitor.update(2, loss=-float("inf"))] == ["nan-loss"]


def test_the_first_finding_on_a_card_and_catalog_model_gets_the_library_advice():
    """Once a TypeError at the first finding, which killed the training loop."""
    setup = {"gpu": "rtx3090", "model": "llama-2-7b", "fine_tuning": "lora", "symptoms": ["out-of-memory"]}
    monitor = advisor.Monitor(setup)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = monitor.update(1, loss=float("nan"))
    expected = advisor.diagnose({**setup, "symptoms": ["out-of-memory", "nan-loss"]}, top=3)
    assert found[0].advice == expected.advice and found[0].advice


def test_a_failure_while_looking_up_advice_is_a_warning_and_training_goes_on(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("rule engine broke")

    monitor = advisor.Monitor({"precision": "fp16"})
    monkeypatch.setattr(pipeline, "advise", broken)
    with pytest.warns(RuntimeWarning, match="no advice for the nan-loss finding.*rule engine broke"):
        found = monitor.update(1, loss=float("nan"))
    assert [f.symptom for f in found] == ["nan-loss"] and found[0].advice == []
    assert monitor.should_stop
    assert monitor.update(2, loss=0.5) == [] and monitor.close() == []


_METRIC_VALUES = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6),
                           st.sampled_from([0.0, 1e-320, 1e308, -1e308, float("nan"), float("inf")]))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.fixed_dictionaries({}, optional={name: _METRIC_VALUES for name in (
    "loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "lr", "gpu_util")}), max_size=120),
    st.integers(0, 500))
def test_update_never_raises_on_logged_numbers(records, flat):
    """Any numbers a run can log, long constant stretches included: findings (with advice), never an exception."""
    monitor = advisor.Monitor({"precision": "fp16", "gpu": "t4"}, stop_on=())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an advice lookup that fails would warn: it must not fail either
        for step, metrics in enumerate(records + [{"loss": 0.7}] * flat):
            monitor.update(step, **metrics)
        monitor.close()
    assert len({f.symptom for f in monitor.findings}) == len(monitor.findings)
