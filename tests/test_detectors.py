"""Detectors: every injected fault in the real-run fixtures found with the right symptom id, healthy runs
silent, and each detector's threshold behaviour on series a user would recognise."""

from __future__ import annotations

import json
import math
import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import detect as detectors
from advisor.logs import analyze

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_run_fixture(name):
    expect = EXPECTED[name]["expect"]
    found = {f.symptom for f in analyze(FIXTURES / name).findings}
    also = set(EXPECTED[name].get("also", []))  # what a labeller reads in the same numbers beside the fault
    assert set(expect) <= found <= set(expect) | also, \
        f"{name} ({EXPECTED[name]['fault']}): expected {expect} (and maybe {sorted(also)}), found {sorted(found)}"


def test_the_fixture_set_covers_every_library_and_fault():
    libraries = {name.split("_")[0] for name in EXPECTED}
    assert {"hf", "lightning", "keras", "torch"} <= libraries
    faults = {s for entry in EXPECTED.values() for s in entry["expect"]}
    assert {"diverging-loss", "nan-loss", "vanishing-gradients", "overfitting", "minority-class-ignored"} <= faults
    assert sum(1 for entry in EXPECTED.values() if not entry["expect"]) >= 4


def series(values, *, key="loss", start=1, **extra):
    out = []
    for i, v in enumerate(values):
        rec = {"step": float(start + i), key: float(v)}
        for name, seq in extra.items():
            if seq[i] is not None:
                rec[name] = float(seq[i])
        out.append(rec)
    return out


def decaying(n, *, noise=0.3, seed=0, floor=0.2):
    rng = random.Random(seed)
    return [(floor + 2.0 / (1 + i / 30)) * (1 + noise * rng.uniform(-1, 1)) for i in range(n)]


def test_nan_loss_reports_the_step_and_last_finite_value():
    f = detectors.nan_loss(series([0.9, 0.8, 0.7, float("nan"), 0.6]))
    assert f.symptom == "nan-loss" and f.step == 4 and f.severe
    assert "nan at step 4" in f.evidence and "0.7 at step 3" in f.evidence


def test_isolated_inf_grad_norm_is_loss_scaling_not_nan():
    grads = [1.0, float("inf"), 1.0, 1.0, float("inf"), 1.0]
    assert detectors.nan_loss(series([0.5] * 6, grad_norm=grads)) is None
    grads = [1.0, float("inf"), float("inf"), float("inf"), 1.0, 1.0]
    f = detectors.nan_loss(series([0.5] * 6, grad_norm=grads))
    assert f and f.step == 2 and "3 logged points" in f.evidence


def test_diverging_loss_after_progress():
    values = [2.0 - 0.05 * i for i in range(30)] + [0.5 + 0.1 * i for i in range(30)]
    f = detectors.diverging_loss(series(values))
    assert f and 28 <= f.step <= 36 and "rose" in f.evidence  # the smoothed minimum lags by a few points


def test_a_blowup_fires_once_it_lasts_and_a_spike_does_not():
    f = detectors.diverging_loss(series([2.3, 2.2, 2.25, 50, 400, 1e4, 1e5, 1e5, 1e6]))
    assert f and "x the run's median" in f.evidence and f.step == 6  # where the median of 5 first stood high
    rng = random.Random(1)
    spiky = [2.3 * (1 + 0.1 * rng.uniform(-1, 1)) for _ in range(200)]
    spiky[50] = spiky[120] = 50.0  # isolated spikes: the running median never moves
    assert detectors.diverging_loss(series(spiky)) is None


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 0.4), st.integers(50, 2000))
def test_noisy_healthy_curves_raise_nothing(seed, noise, n):
    values = decaying(n, noise=noise, seed=seed)
    lr = [1e-3] * n
    found = detectors.run(series(values, lr=lr, grad_norm=[1 + 0.3 * math.sin(i) for i in range(n)]))
    assert found == [], [str(f) for f in found]


def test_plateau_fires_at_constant_rate_and_not_once_the_schedule_decays():
    flat = [4.0, 3.2, 2.7, 2.5] + [2.3 + 0.01 * math.sin(i) for i in range(56)]
    f = detectors.loss_plateau(series(flat, lr=[1e-3] * 60))
    assert f and 5 <= f.step <= 20  # from where the smoothed loss stopped falling
    assert f and "1e-3" not in f.evidence and "learning rate 0.001" in f.evidence
    # a healthy run: the loss fell, then flattens while a cosine schedule takes the rate to ~0
    values = [2.0 / (1 + i / 5) for i in range(40)] + [0.1] * 60
    lr = [1e-3] * 40 + [1e-3 * 0.5 * (1 + math.cos(math.pi * i / 60)) * 0.05 for i in range(60)]
    assert detectors.loss_plateau(series(values, lr=lr)) is None
    # during warmup the rate rises: a flat loss there is expected
    warm = [1e-5 * (i + 1) for i in range(60)]
    assert detectors.loss_plateau(series(flat[:20], lr=[1e-3] * 20)) is None  # too short to say
    assert detectors.loss_plateau(series(flat, lr=warm)) is None


def test_a_plateau_the_run_later_leaves_is_a_note_not_a_finding():
    rng = random.Random(6)
    # a stall near the prior's entropy for ~100 steps (symmetry not yet broken), then the loss falls to 0.05
    stall = [1.1, 1.05, 1.0] + [0.97 * (1 + 0.01 * rng.uniform(-1, 1)) for _ in range(150)]
    falls = [0.97 * 0.98 ** i + 0.05 for i in range(200)]
    analyzer = detectors.Analyzer()
    for rec in series(stall + falls, lr=[0.02] * 353):
        analyzer.update(rec)
    live = [f.symptom for f in analyzer.findings]
    analyzer.finish()
    assert live == ["loss-plateau"]  # a live run is told when it stalls ...
    assert analyzer.findings == []  # ... a finished one is not blamed for a stall it overcame
    assert analyzer.outlived and "the run left it" in analyzer.outlived[0]
    # a run that stays there keeps it
    assert detectors.loss_plateau(series(stall + stall[3:], lr=[0.02] * 303)) is not None


def test_a_noisy_loss_that_dropped_to_the_prior_and_stayed_is_a_plateau():
    # mini-batch losses +-16% around the prior's entropy after an early drop of 9%: the smoothed curve's fall is
    # far above its own noise, though not 3x the per-point noise
    rng = random.Random(1)
    loss = [1.1, 1.1, 1.09] + [0.99 * (1 + 0.16 * rng.uniform(-1, 1)) for _ in range(600)]
    f = detectors.loss_plateau(series(loss, lr=[1e-3] * 603))
    assert f and "stayed within 1%" in f.evidence


def test_oscillating_loss_at_the_epoch_scale():
    # a Keras CSV: one row per epoch, the loss alternating by 60%
    epochs = [{"step": float(e), "epoch": float(e), "loss": 1.0 + (0.6 if e % 2 else 0.0)} for e in range(12)]
    f = detectors.oscillating_loss(epochs)
    assert f and "training loss changed direction" in f.evidence and "within 10 epochs" in f.evidence
    # a validation zig-zag while the training loss falls smoothly
    recs = [{"step": float(i), "loss": 2.0 / (1 + i / 10)} for i in range(200)]
    for i, rec in enumerate(recs[::20]):
        rec["val_loss"] = 1.0 + (0.5 if i % 2 else 0.0)
    f = detectors.oscillating_loss(recs)
    assert f and "val_loss changed direction" in f.evidence
    # per-step logging with epochs: the epoch means swing although each step is noisy
    rng = random.Random(2)
    steps = [{"step": float(i), "epoch": i / 50, "loss": (1.0 + (0.6 if (i // 50) % 2 else 0.0)) *
              (1 + 0.3 * rng.uniform(-1, 1))} for i in range(600)]
    assert detectors.oscillating_loss(steps) is not None
    # the same noise without the swing is no oscillation
    calm = [{**r, "loss": 1.0 * (1 + 0.3 * rng.uniform(-1, 1))} for r in steps]
    assert detectors.oscillating_loss(calm) is None


def test_overfitting_evidence_in_epochs():
    train = [1.0 * 0.85 ** e for e in range(14)]
    val = [0.9, 0.7, 0.6, 0.55, 0.5, 0.52, 0.55, 0.6, 0.63, 0.66, 0.7, 0.74, 0.78, 0.8]
    recs = [{"step": float(e), "epoch": float(e), "loss": t, "val_loss": v} for e, (t, v) in enumerate(zip(train, val))]
    f = detectors.overfitting(recs)
    assert f and f.symptom == "overfitting"
    assert "val_loss rose" in f.evidence and "while loss fell" in f.evidence
    assert re.search(r"over epochs [45]–\d+ \(0\.5", f.evidence), f.evidence  # from the (median-of-3) minimum


def test_val_following_train_is_not_overfitting():
    train = [1.0 * 0.9 ** e for e in range(20)]
    recs = [{"step": float(e), "epoch": float(e), "loss": t, "val_loss": t * 1.05} for e, t in enumerate(train)]
    assert detectors.overfitting(recs) is None


def test_underfitting_when_train_is_no_better_than_val():
    loss = [1.0 - 0.005 * i for i in range(30)]
    f = detectors.underfitting(series(loss, val_loss=[v * 1.02 for v in loss]))
    assert f and "fell only" in f.evidence
    good = [1.0 * 0.9 ** i for i in range(30)]
    assert detectors.underfitting(series(good, val_loss=good)) is None


def test_noisy_labels_hold_the_loss_up_without_underfitting():
    # binary labels 30% flipped: the loss levels off at 0.61 from its 0.69, training level with validation, and
    # the model is right 70% of the time, all the labels allow
    loss = [0.693 - 0.08 * (1 - 0.9 ** i) for i in range(60)]
    acc = [0.5 + 0.2 * (1 - 0.9 ** i) for i in range(60)]
    assert detectors.underfitting(series(loss, val_loss=loss, val_accuracy=acc)) is None
    # the same loss at chance accuracy fits nothing; without any accuracy, training level with validation says so
    assert detectors.underfitting(series(loss, val_loss=loss, val_accuracy=[0.52] * 60)) is not None
    assert detectors.underfitting(series(loss, val_loss=loss)) is not None


def test_underfitting_reads_the_accuracy_at_the_end_not_a_lucky_batch():
    # per-batch training accuracy at chance (0.5 +- 0.09 for 32 samples): its best passes 0.6 by luck
    rng = random.Random(8)
    loss = [0.693 * (1 + 0.02 * rng.uniform(-1, 1)) for _ in range(400)]
    acc = [rng.randint(10, 22) / 32 for _ in range(400)]
    assert max(acc) >= 0.6
    f = detectors.underfitting(series(loss, accuracy=acc))
    assert f and "at the end < 0.6" in f.evidence


def test_a_per_epoch_log_whose_loss_fell_from_its_first_row_has_learned():
    # a Keras CSV: the first row is the first epoch's mean; the model fitted in that epoch, then stays
    loss = [0.766] + [0.642 * (1 + 0.001 * math.sin(i)) for i in range(19)]
    rows = [{"step": float(e), "epoch": float(e), "loss": v} for e, v in enumerate(loss)]
    assert detectors.vanishing_gradients(rows) is None
    stuck = [{**r, "loss": 0.642 * (1 + 0.001 * math.sin(r["epoch"]))} for r in rows]
    assert detectors.vanishing_gradients(stuck) is not None


def test_exploding_and_vanishing_gradients():
    grads = [1.0] * 20 + [5.0, 40.0, 80.0, 120.0, 200.0, 300.0]
    f = detectors.exploding_gradients(series([0.5] * 26, grad_norm=grads))
    assert f and f.severe and "x the run's median 1 before it" in f.evidence
    tiny = [1e-3] * 5 + [1e-9] * 10
    assert detectors.vanishing_gradients(series([0.7] * 15, grad_norm=tiny)).symptom == "vanishing-gradients"


def test_loss_stuck_at_its_start_is_vanishing_signal_over_steps_or_epochs_not_points():
    rng = random.Random(3)
    stuck = [0.693 * (1 + 0.02 * rng.uniform(-1, 1)) for _ in range(40)]
    every_25 = [{"step": 25.0 * (i + 1), "loss": v} for i, v in enumerate(stuck)]
    f = detectors.vanishing_gradients(every_25)
    assert f and "never fell 5%" in f.evidence
    # 40 calls of a live monitor, one per step, say nothing yet; 8 epochs of a Keras CSV do
    assert detectors.vanishing_gradients(series(stuck)) is None
    per_epoch = [{"step": float(e), "epoch": float(e), "loss": v} for e, v in enumerate(stuck[:8])]
    assert detectors.vanishing_gradients(per_epoch) is not None


def test_a_flat_loss_at_a_rate_too_small_to_move_the_weights_is_no_vanishing_gradient():
    rng = random.Random(5)
    stuck = [0.693 * (1 + 0.02 * rng.uniform(-1, 1)) for _ in range(40)]

    def at(lr):
        return [{"step": 25.0 * (i + 1), "loss": v, "lr": lr, "grad_norm": 1.0} for i, v in enumerate(stuck)]
    # 1,000 steps at 1e-6 move any Adam weight by 0.001 at most: the rate explains the flat loss
    assert detectors.vanishing_gradients(at(1e-6)) is None
    # at 1e-3 the weights could have moved 1.0: a loss that still does not fall lacks a gradient
    f = detectors.vanishing_gradients(at(1e-3))
    assert f and "never fell 5%" in f.evidence


def test_a_loss_that_has_just_begun_to_fall_is_not_stuck():
    # at its start for 8 epochs (a slow start, the medians lag behind), then falling: it learns
    loss = [0.693, 0.694, 0.693, 0.693, 0.692, 0.688, 0.677, 0.648, 0.566, 0.435, 0.317, 0.29, 0.23, 0.17]
    log = [{"step": 3.0 * (e + 1), "epoch": e + 1.0, "loss": v, "lr": 5e-4} for e, v in enumerate(loss)]
    assert detectors.vanishing_gradients(log) is None


def test_a_flat_start_the_loss_later_leaves_is_a_note_and_measured_gradients_stay():
    rng = random.Random(9)
    flat = [0.693 * (1 + 0.01 * rng.uniform(-1, 1)) for _ in range(40)]
    falls = [0.693 * 0.97 ** i for i in range(60)]
    analyzer = detectors.Analyzer()
    for i, v in enumerate(flat + falls):
        analyzer.update({"step": 25.0 * (i + 1), "loss": v, "lr": 1e-3})
    assert [f.symptom for f in analyzer.findings] == ["vanishing-gradients"]  # inferred while it was flat
    analyzer.finish()
    assert "vanishing-gradients" not in {f.symptom for f in analyzer.findings}
    assert any("inferred from the flat loss" in note for note in analyzer.outlived)
    # measured: the gradient norm itself fell to nothing; a later fall of the loss does not undo that
    tiny = [1e-3] * 5 + [1e-9] * 10 + [1e-3] * 85
    found = detectors.run(series(flat + falls, grad_norm=tiny))
    assert "vanishing-gradients" in {f.symptom for f in found}


def test_a_run_that_fits_after_early_spikes_has_converged_not_vanished():
    # a too-high rate: the loss jumps to hundreds for a few steps, then the easy task is fitted to 0; the
    # smoothed loss still carries the spikes when the gradient reaches 0
    loss = [1.38, 81.0, 620.0, 50.0, 51.0, 1.6, 18.0, 21.0, 28.6, 15.0, 2.1, 61.7, 8.2, 66.1] + [0.0] * 60
    grads = [1.2, 94.0, 207.0, 72.0, 70.7, 7.1, 59.2, 71.3, 45.9, 13.5, 4.5, 107.9, 9.4, 75.6] + [0.0] * 60
    assert detectors.vanishing_gradients(series(loss, grad_norm=grads)) is None


def test_per_layer_gradient_norms_decide_vanishing_gradients():
    rng = random.Random(4)
    loss = [0.693 * (1 + 0.02 * rng.uniform(-1, 1)) for _ in range(60)]
    dead = [{"step": 25.0 * (i + 1), "loss": v, "layer_grad_norm": {"l0.weight": 1e-9, "l5.weight": 1e-5,
                                                                     "out.weight": 0.05}}
            for i, v in enumerate(loss)]
    f = detectors.vanishing_gradients(dead)
    assert f and f.step == 25 and "l0.weight" in f.evidence and "out.weight" in f.evidence
    # every layer gets a gradient: the flat loss is no evidence of vanishing gradients
    alive = [{**r, "layer_grad_norm": {"l0.weight": 0.02, "out.weight": 0.05}} for r in dead]
    assert detectors.vanishing_gradients(alive) is None


def test_low_gpu_utilization_percent_and_fraction():
    low = detectors.low_gpu_utilization(series([30 + (i % 20) for i in range(200)], key="gpu_util"))
    assert low and "p95" in low.evidence
    assert detectors.low_gpu_utilization(series([0.95] * 200, key="gpu_util")) is None
    assert detectors.low_gpu_utilization(series([0.4] * 200, key="gpu_util")) is not None
    spiky = [95 if i % 4 else 2 for i in range(200)]
    assert "fluctuates" in detectors.low_gpu_utilization(series(spiky, key="gpu_util")).evidence
    assert detectors.low_gpu_utilization(series([95] * 200, key="gpu_util")) is None


def test_a_model_fitted_to_its_training_data_does_not_ignore_its_minority():
    # training accuracy (per epoch) at 0.993 and its loss near the entropy of a 0.7% minority, by fitting:
    # the validation accuracy, 0.93, shows it is no prior (which would score the same on held-out data)
    recs = []
    for step in range(1, 801):
        rec = {"step": float(step), "epoch": step / 40, "loss": 0.045, "accuracy": 0.993}
        if step % 40 == 0:
            rec.update(val_loss=0.16, val_accuracy=0.93)
        recs.append(rec)
    assert detectors.minority_class_ignored(recs) is None
    prior = [{**r, **({"val_accuracy": 0.993, "val_loss": 0.045} if "val_loss" in r else {})} for r in recs]
    assert detectors.minority_class_ignored(prior) is not None


def test_minority_class_ignored_is_the_prior_signature():
    acc = [0.98] * 8
    prior = -(0.02 * math.log(0.02) + 0.98 * math.log(0.98))
    recs = series([prior * 1.05] * 8, key="val_loss", val_accuracy=acc)
    f = detectors.minority_class_ignored(recs)
    assert f and "0.980" in f.evidence and "class prior" in f.evidence
    # a model that learned: same accuracy, far lower loss
    assert detectors.minority_class_ignored(series([0.01] * 8, key="val_loss", val_accuracy=acc)) is None


def test_thresholds_can_be_changed():
    values = [2.0 - 0.05 * i for i in range(30)] + [0.5 + 0.02 * i for i in range(30)]
    assert detectors.diverging_loss(series(values)) is not None
    strict = detectors.with_thresholds(diverge_rise=5.0, diverge_blowup=100.0)
    assert detectors.diverging_loss(series(values), strict) is None


def test_thresholds_are_named_and_checked():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="by name"):
        detectors.Thresholds(5)  # 42 fields, composed from the detectors' declarations: by name only
    with pytest.raises(ValidationError, match="did you mean 'diverge_rise'"):
        detectors.with_thresholds(diverge_rize=5.0)
    with pytest.raises(ValidationError, match="ema_alpha=1.5: a fraction"):
        detectors.with_thresholds(ema_alpha=1.5)
    assert detectors.Thresholds(diverge_rise=5.0) == detectors.with_thresholds(diverge_rise=5.0) != detectors.Thresholds()


def test_thresholds_are_the_detectors_declarations_and_each_is_declared_once():
    from advisor.detect import catalog, overfit, underfit

    doc = detectors.Thresholds.__doc__
    assert "overfit_gap: advisor.detect.overfit" in doc and "grad_points: advisor.detect.gradients" in doc
    assert detectors.Thresholds().underfit_progress == underfit.UnderfittingThresholds.underfit_progress

    class Twice:
        overfit_gap: float = 0.2
    with pytest.raises(TypeError, match="overfit_gap"):
        catalog.compose((overfit.OverfittingThresholds, Twice))


def test_each_detector_declares_a_known_symptom_and_what_it_explains():
    for detector in detectors.DETECTORS:
        assert sys.modules[detector.__module__].__doc__.startswith(f"{detector.symptom}: ")
        assert detector.explains <= set(detectors.SYMPTOMS) - {detector.symptom}
    assert detectors.SEVERE == ("nan-loss", "diverging-loss", "exploding-gradients")


def test_a_diverged_run_reports_the_divergence_not_its_consequences():
    values = [2.0 - 0.05 * i for i in range(30)] + [5.0 + 0.01 * math.sin(i) for i in range(80)]
    recs = series(values, lr=[1e-3] * 110, val_loss=[v * 1.02 for v in values])
    assert [f.symptom for f in detectors.run(recs)] == ["diverging-loss"]
    others = [s for s in detectors.SYMPTOMS if s not in ("diverging-loss", "nan-loss")]
    assert [f.symptom for f in detectors.run(recs, only=others)] == ["underfitting"]


def test_a_plateau_at_chance_level_is_also_underfitting():
    # an early drop from the init transient to log(10), a uniform guess over 10 classes, then flat
    early = [6.0, 4.5, 3.4, 2.8, 2.5]
    flat = early + [2.303 + 0.01 * math.sin(i) for i in range(95)]
    recs = series(flat, lr=[1e-3] * 100, val_loss=[v * 1.02 for v in flat])
    found = {f.symptom: f for f in detectors.run(recs)}
    assert set(found) == {"loss-plateau", "underfitting"}, found
    assert "loss-plateau from step" in found["underfitting"].evidence


def test_a_suppressed_symptom_is_named_in_the_evidence_that_explains_it():
    values = [2.0 - 0.05 * i for i in range(30)] + [5.0 + 0.01 * math.sin(i) for i in range(80)]
    recs = series(values, lr=[1e-3] * 110, val_loss=[v * 1.02 for v in values])
    (f,) = detectors.run(recs)
    assert f.symptom == "diverging-loss" and "it explains the underfitting" in f.evidence


def test_every_symptom_id_is_in_the_vocabulary():
    from advisor.setup.fields import SYMPTOMS

    assert set(detectors.SYMPTOMS) <= set(SYMPTOMS)
    for symptom in detectors.SYMPTOMS:
        assert callable(getattr(detectors, symptom.replace("-", "_")))


def test_a_long_flat_stretch_after_a_noisy_start_does_not_overflow():
    # the noise estimate decays towards 0 over a flat stretch; ~14k points took the smoothing's ratio past float range
    values = [1.0, 2.0, 0.5, 1.5] + [1.0] * 15_000
    found = {f.symptom for f in detectors.run(series(values))}
    assert "vanishing-gradients" in found  # the loss never left its start


_ANY_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-320, -1e-320, 5e-324, 1e308, -1e308, 1.7976931348623157e308]),
    st.floats(-10, 10))
_METRICS = ("loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "learning_rate", "gpu_util")


def _runs(draw_value):
    """A series: stretches of one value repeated (up to 500 times) or of random values."""
    stretch = st.tuples(draw_value, st.integers(1, 500)).map(lambda t: [t[0]] * t[1])
    return st.lists(st.one_of(stretch, st.lists(draw_value, min_size=1, max_size=50)), min_size=1, max_size=6
                    ).map(lambda parts: [v for part in parts for v in part])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.fixed_dictionaries({}, optional={name: _runs(_ANY_FLOAT) for name in _METRICS}),
       st.booleans(), st.sampled_from([None, 1.0, 0.25]))
def test_the_analyzer_is_total_on_any_series(columns, steps_from_zero, epoch_every):
    """Every detector takes any float (NaN, inf, huge, tiny, long constant runs) without raising."""
    n = max((len(v) for v in columns.values()), default=1)
    analyzer = detectors.Analyzer()
    for i in range(n):
        record = {"step": float(i if steps_from_zero else i + 1)}
        if epoch_every is not None:
            record["epoch"] = i * epoch_every
        record.update({name: values[i] for name, values in columns.items() if i < len(values)})
        for finding in analyzer.update(record):
            assert finding.symptom in detectors.SYMPTOMS and str(finding)
    analyzer.finish()
    assert len({f.symptom for f in analyzer.findings}) == len(analyzer.findings)  # each symptom once
