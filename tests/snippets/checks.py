"""What a snippet must have done, beyond raising nothing.

After a snippet runs, `verify` applies the checks registered for its rule and
framework (`@check("IMB001", "pytorch")`) or its strategy
(`@check("class-weighting", "keras")`), then the general probes: a `loss` is
finite, a trained model's weights changed and stayed finite, a new loader
yields labelled batches, a fitted estimator predicts, a Trainer's logged
losses are finite. Each check returns what it verified; a snippet for which
nothing at all could be verified fails the test, so a new rule either does
something observable through the standard names or brings its own check here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np


@dataclass
class Run:
    framework: str
    rule: str
    strategy: str
    facts: dict[str, Any]
    counts: tuple[int, ...]  # training samples per class
    context: dict[str, Any]  # the names the snippet was given (objects it may have changed)
    ns: dict[str, Any]  # the namespace after it ran
    before: dict[str, Any]  # snapshots taken before it ran
    output: str  # what it printed
    cwd: Path
    verified: list[str] = field(default_factory=list)

    @property
    def classes(self) -> int:
        return len(self.counts)

    @property
    def rarest(self) -> int:
        return int(np.argmin(self.counts)) if len(set(self.counts)) > 1 else self.classes - 1

    @property
    def imbalanced(self) -> bool:
        return len(set(self.counts)) > 1

    def new(self, name: str) -> Any:
        """`name` as the snippet left it; None when absent."""
        return self.ns.get(name)

    def ok(self, what: str) -> None:
        self.verified.append(what)


Check = Callable[[Run], None]
_REGISTRY: dict[tuple[str, str], list[Check]] = {}


def check(key: str, *frameworks: str) -> Callable[[Check], Check]:
    """Register for a rule id or a strategy, and the frameworks it applies to."""
    def register(fn: Check) -> Check:
        for fw in frameworks:
            _REGISTRY.setdefault((key, fw), []).append(fn)
        return fn
    return register


def registered(rule: str, strategy: str, framework: str) -> list[Check]:
    return _REGISTRY.get((rule, framework), []) + _REGISTRY.get((strategy, framework), [])


def snapshot(framework: str, context: dict[str, Any]) -> dict[str, Any]:
    """What the probes compare against: the model's weights before the snippet ran."""
    model = context.get("model")
    if framework in ("pytorch", "lightning", "huggingface"):
        return {"weights": {n: p.detach().clone() for n, p in model.named_parameters()}}
    if framework == "keras":
        return {"weights": [np.array(w) for w in model.get_weights()]}
    return {}


def verify(run: Run) -> list[str]:
    for fn in registered(run.rule, run.strategy, run.framework):
        fn(run)
    for probe in _PROBES.get(run.framework, ()):
        probe(run)
    return run.verified


# ------------------------------------------------------------------ helpers

def finite(value: Any) -> bool:
    import torch

    if isinstance(value, torch.Tensor):
        if type(value).__module__.startswith("torchao"):  # quantized: check what it stands for
            value = value.dequantize()
        return bool(torch.isfinite(value.detach().float()).all())
    return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-12)


def torch_batch(run: Run):
    return next(iter(run.context["val_loader"]))


def forward(model, inputs):
    import torch

    model.eval()
    with torch.no_grad():
        out = model(inputs)
    return getattr(out, "logits", out)


def torch_changed(run: Run, model=None) -> bool:
    model = model if model is not None else run.context["model"]
    now = dict(model.named_parameters())
    return any(n in now and not torch_equal(now[n], w) for n, w in run.before["weights"].items())


def torch_equal(a, b) -> bool:
    import torch

    a = a.detach()
    if hasattr(a, "full_tensor"):  # a DTensor after fully_shard
        a = a.full_tensor()
    if type(a).__module__.startswith("torchao"):  # quantized in place: not the same weights any more
        return False
    return a.shape == b.shape and bool(torch.equal(a.to(b.dtype).cpu(), b.cpu()))


def keras_changed(run: Run, model=None) -> bool:
    model = model if model is not None else run.context["model"]
    return any(not np.array_equal(np.array(a), b) for a, b in zip(model.get_weights(), run.before["weights"]))


def keras_models(run: Run) -> list[Any]:
    import keras

    seen, found = set(), []
    for value in [run.context["model"], *run.ns.values()]:
        if isinstance(value, keras.Model) and id(value) not in seen:
            seen.add(id(value))
            found.append(value)
    return found


def history_losses(model) -> list[float]:
    history = getattr(model, "history", None)
    return list(getattr(history, "history", {}).get("loss", [])) if history is not None else []


def trained_keras(run: Run) -> Any:
    """The keras model that was fitted last: its losses are finite."""
    fitted = [m for m in keras_models(run) if history_losses(m)]
    assert fitted, "no Keras model was fitted"
    model = fitted[-1]
    assert finite(history_losses(model)), f"non-finite training loss {history_losses(model)}"
    run.ok(f"keras fit: {len(history_losses(model))} epoch(s), finite loss")
    return model


def sampler_share(sampler, labels, classes: int, draws: int = 4) -> np.ndarray:
    """Class shares of the indices a sampler draws (a few passes)."""
    idx = [i for _ in range(draws) for i in sampler]
    return np.bincount(np.asarray(labels)[idx], minlength=classes) / len(idx)


def dataset_labels(dataset) -> np.ndarray:
    return np.asarray([int(y) for _, y in dataset])


def loader_of(run: Run, *names: str):
    from torch.utils.data import DataLoader

    for name in names:
        value = run.new(name)
        if isinstance(value, DataLoader):
            return value
    raise AssertionError(f"none of {names} is a DataLoader")


def trainer_of(run: Run):
    from transformers import Trainer

    trainer = run.new("trainer")
    assert isinstance(trainer, Trainer), "no `trainer` was built"
    return trainer


def args_of(run: Run):
    from transformers import TrainingArguments

    trainer = run.new("trainer")
    args = getattr(trainer, "args", None) or run.new("args")
    assert isinstance(args, TrainingArguments), "no TrainingArguments were built"
    return args


def hf_trained(run: Run) -> None:
    trainer = trainer_of(run)
    assert trainer.state.global_step > 0, "the Trainer took no step"
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    losses += [h["train_loss"] for h in trainer.state.log_history if "train_loss" in h]
    assert losses and finite(losses), f"training losses {losses}"
    run.ok(f"trainer: {trainer.state.global_step} steps, finite loss")


def fitted(estimator) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):
        return False
    return True


# ------------------------------------------------------------------ probes (any snippet)

def _probe_torch(run: Run) -> None:
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader

    loss = run.new("loss")
    if isinstance(loss, torch.Tensor):
        assert finite(loss), f"loss {loss}"
        run.ok("loss finite")
    model = run.new("model")
    if isinstance(model, nn.Module):
        inputs, _ = torch_batch(run)
        logits = forward(model, inputs)
        assert finite(logits), "the model's outputs are not finite after the snippet"
        if torch_changed(run, run.context["model"]):
            assert all(finite(p) for p in run.context["model"].parameters()), "non-finite weights"
            run.ok("weights updated, finite")
    for name, value in run.ns.items():
        if isinstance(value, DataLoader) and not any(value is v for v in run.context.values()):
            inputs, targets = next(iter(value))
            assert len(inputs) == len(targets) and len(inputs) > 0, f"{name} yields mismatched batches"
            if not targets.is_floating_point():
                assert 0 <= int(targets.min()) and int(targets.max()) < run.classes, f"{name}: labels out of range"
            run.ok(f"{name} yields labelled batches")


def _probe_keras(run: Run) -> None:
    for model in keras_models(run):
        losses = history_losses(model)
        if losses:
            assert finite(losses), f"non-finite keras loss {losses}"
            run.ok("keras fit: finite loss")
            break


def _probe_sklearn(run: Run) -> None:
    from sklearn.base import BaseEstimator

    X_val = run.context["X_val"]
    for name, value in run.ns.items():
        if isinstance(value, BaseEstimator) and hasattr(value, "predict") and fitted(value):
            if getattr(value, "n_features_in_", X_val.shape[1]) == X_val.shape[1]:
                pred = value.predict(X_val)
                assert len(pred) == len(X_val)
                assert set(np.unique(pred)) <= set(range(run.classes)), f"{name} predicts unknown labels"
                run.ok(f"{name} fitted and predicts")


def _probe_hf(run: Run) -> None:
    from transformers import Trainer

    trainer = run.new("trainer")
    if isinstance(trainer, Trainer) and trainer.state.global_step > 0:
        hf_trained(run)


_PROBES: dict[str, tuple[Check, ...]] = {
    "pytorch": (_probe_torch,),
    "lightning": (_probe_torch,),
    "keras": (_probe_keras,),
    "sklearn": (_probe_sklearn,),
    "huggingface": (_probe_hf,),
}


# ------------------------------------------------------------------ class balance

def _weights_favour_rare(run: Run, weights, what: str) -> None:
    weights = np.asarray(weights, dtype=float).reshape(-1)
    assert len(weights) == run.classes, f"{what}: {len(weights)} weights for {run.classes} classes"
    assert finite(weights) and (weights > 0).all(), f"{what}: {weights}"
    if run.imbalanced:
        assert weights[run.rarest] > weights[int(np.argmax(run.counts))], \
            f"{what}: the rarest class weighs {weights[run.rarest]:.3g}, the most frequent {weights.max():.3g}"
    run.ok(f"{what}: one positive weight per class, the rare class weighs most")


@check("class-weighting", "pytorch")
def _class_weights_torch(run: Run) -> None:
    import torch.nn as nn

    criterion = run.new("criterion")
    assert isinstance(criterion, nn.CrossEntropyLoss) and criterion.weight is not None, "no weighted criterion"
    _weights_favour_rare(run, criterion.weight.detach().cpu(), "criterion.weight")
    inputs, targets = torch_batch(run)
    loss = criterion(forward(run.context["model"], inputs), targets)
    assert finite(loss)
    run.ok("weighted loss finite on a validation batch")


@check("class-weighting", "keras")
def _class_weights_keras(run: Run) -> None:
    weights = run.new("class_weight")
    assert isinstance(weights, dict) and set(weights) == set(range(run.classes)), f"class_weight {weights}"
    _weights_favour_rare(run, [weights[c] for c in range(run.classes)], "class_weight")
    trained_keras(run)


@check("class-weighting", "huggingface")
def _class_weights_hf(run: Run) -> None:
    weights = run.new("CLASS_WEIGHTS")
    _weights_favour_rare(run, weights.cpu(), "CLASS_WEIGHTS")
    hf_trained(run)


@check("class-weighting", "sklearn")
def _class_weights_sklearn(run: Run) -> None:
    model = run.new("model")
    assert fitted(model), "the model was not fitted"
    params = model.get_params()
    balanced = params.get("class_weight") == "balanced" or params.get("scale_pos_weight") \
        or "sample_weight" in run.output
    assert balanced, f"{type(model).__name__} is not weighted: {params}"
    run.ok(f"{type(model).__name__} fitted with balanced class weights")


def _balanced_draws(run: Run, shares: np.ndarray, what: str) -> None:
    if run.imbalanced:
        natural = run.counts[run.rarest] / sum(run.counts)
        assert shares[run.rarest] > 2 * natural, \
            f"{what}: rarest class drawn {shares[run.rarest]:.1%}, its natural share is {natural:.1%}"
        assert shares.max() / max(shares.min(), 1e-9) < 4, f"{what}: class shares {np.round(shares, 3)}"
    run.ok(f"{what} draws the classes evenly: {np.round(shares, 2).tolist()}")


@check("IMB004", "pytorch")
def _weighted_sampler(run: Run) -> None:
    from torch.utils.data import WeightedRandomSampler

    sampler = run.new("sampler")
    assert isinstance(sampler, WeightedRandomSampler)
    _balanced_draws(run, sampler_share(sampler, dataset_labels(run.context["train_dataset"]), run.classes),
                    "WeightedRandomSampler")


@check("IMB004", "keras")
def _oversampled_keras(run: Run) -> None:
    idx = run.new("idx")
    counts = np.bincount(run.context["y_train"][idx], minlength=run.classes)
    assert len(set(counts.tolist())) == 1, f"over-sampled counts {counts}"
    run.ok(f"every class over-sampled to {counts[0]}")
    trained_keras(run)


@check("IMB004", "sklearn")
def _oversampled_sklearn(run: Run) -> None:
    from imblearn.over_sampling import RandomOverSampler

    model = run.new("model")
    assert fitted(model) and isinstance(model.steps[0][1], RandomOverSampler), "no fitted over-sampling pipeline"
    X_res, y_res = model.steps[0][1].fit_resample(run.context["X_train"], run.context["y_train"])
    assert len(set(np.bincount(y_res).tolist())) == 1
    run.ok("pipeline over-samples every class to the majority's size in fit()")


@check("IMB005", "pytorch")
def _undersampled_torch(run: Run) -> None:
    keep = run.new("keep").numpy()
    counts = run.new("counts").numpy()
    assert (keep <= counts).all() and keep.max() <= 5 * counts[counts > 0].min()
    drawn = np.bincount(dataset_labels(run.context["train_dataset"])[list(run.new("loader").sampler)],
                        minlength=run.classes)
    assert (drawn == keep).all(), f"loader draws {drawn}, expected {keep}"
    probs = run.new("probs")
    assert finite(probs) and np.allclose(probs.sum(dim=1).numpy(), 1, atol=1e-5)
    run.ok(f"majority cut to {keep.max()} (≤ 5x minority); corrected probabilities sum to 1")


@check("IMB005", "sklearn")
def _undersampled_sklearn(run: Run) -> None:
    counts = np.bincount(run.new("y_res"))
    assert counts.max() <= 5 * counts.min(), f"resampled counts {counts}"
    proba = run.new("proba")
    assert np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
    run.ok(f"resampled counts {counts.tolist()}; corrected probabilities sum to 1")


@check("synthetic-minority", "sklearn")
def _smote_cv(run: Run) -> None:
    scores, scoring = run.new("scores"), run.new("scoring")
    for name in scoring:
        values = scores["test_" + name]
        assert len(values) == 5 and finite(values) and ((0 <= values) & (values <= 1)).all(), (name, values)
    run.ok(f"5 folds scored on {', '.join(scoring)} with SMOTE inside each training fold")


@check("synthetic-minority", "pytorch")
def _smote_torch(run: Run) -> None:
    y_res = run.new("y_res")
    counts = np.bincount(y_res, minlength=run.classes)
    assert len(set(counts.tolist())) == 1, f"SMOTE counts {counts}"
    assert len(run.new("X_res")) == len(y_res) > len(run.context["train_dataset"])
    run.ok(f"SMOTE raised every class to {counts[0]} samples")


@check("focal-loss", "pytorch")
def _focal_torch(run: Run) -> None:
    import torch
    import torch.nn.functional as F

    focal = run.new("focal_loss")
    targets = torch.tensor([0, 1, run.classes - 1])
    easy = torch.full((3, run.classes), -6.0)
    easy[torch.arange(3), targets] = 6.0  # confident and right
    hard = torch.zeros(3, run.classes)  # undecided
    assert finite(focal(easy, targets)) and finite(focal(hard, targets))
    ratio_easy = float(focal(easy, targets)) / float(F.cross_entropy(easy, targets))
    ratio_hard = float(focal(hard, targets)) / float(F.cross_entropy(hard, targets))
    assert ratio_easy < 0.01 * ratio_hard, "confident correct examples should count for almost nothing"
    run.ok("focal loss finite; easy examples down-weighted against cross-entropy")


@check("focal-loss", "keras")
def _focal_keras(run: Run) -> None:
    import keras

    model = trained_keras(run)
    assert isinstance(model.loss, keras.losses.CategoricalFocalCrossentropy)
    run.ok("compiled with CategoricalFocalCrossentropy")


@check("threshold-tuning", "pytorch", "keras")
def _threshold(run: Run) -> None:
    threshold = run.new("threshold")
    assert 0.0 <= threshold <= 1.0, threshold
    run.ok(f"decision threshold {threshold:.3f} within [0, 1]")


@check("threshold-tuning", "sklearn")
def _threshold_sklearn(run: Run) -> None:
    tuned = run.new("tuned")
    if run.classes == 2:
        assert 0 < tuned.best_threshold_ < 1
        run.ok(f"threshold tuned by CV: {tuned.best_threshold_:.3f}")
    else:
        y_pred = run.new("y_pred")
        plain = run.new("model").predict(run.context["X_val"])
        rare = run.rarest
        assert (y_pred == rare).sum() >= (plain == rare).sum(), "prior correction should not predict the rare class less"
        run.ok("prior-corrected decisions predict the rare class at least as often")


@check("imbalance-metrics", "huggingface")
def _metrics_hf(run: Run) -> None:
    metrics = run.new("compute_metrics")
    logits = np.random.default_rng(0).normal(size=(20, run.classes))
    labels = np.arange(20) % run.classes
    values = metrics((logits, labels))
    assert {"balanced_accuracy", "macro_f1"} <= set(values) and all(0 <= v <= 1 for v in values.values())
    run.ok(f"compute_metrics gives {sorted(values)}")


@check("imbalance-metrics", "pytorch", "keras", "sklearn")
def _metrics_printed(run: Run) -> None:
    assert "balanced accuracy" in run.output and "macro F1" in run.output, run.output[-500:]
    if run.classes == 2:
        assert "PR-AUC" in run.output
    run.ok("printed balanced accuracy, macro F1" + (", PR-AUC" if run.classes == 2 else ""))


@check("stratified-split", "pytorch")
def _stratified_torch(run: Run) -> None:
    labels = run.new("labels")
    tr, va = np.bincount(labels[run.new("train_idx")]), np.bincount(labels[run.new("val_idx")])
    assert (np.abs(tr / tr.sum() - va / va.sum()) < 0.05).all(), (tr, va)
    run.ok("train and validation keep the class ratio")


@check("stratified-split", "keras")
def _stratified_keras(run: Run) -> None:
    tr, va = np.bincount(run.new("y_tr")), np.bincount(run.new("y_va"))
    assert (np.abs(tr / tr.sum() - va / va.sum()) < 0.05).all(), (tr, va)
    run.ok("train and validation keep the class ratio")
    trained_keras(run)


@check("stratified-split", "sklearn")
def _stratified_sklearn(run: Run) -> None:
    tr, te = np.bincount(run.new("y_tr")), np.bincount(run.new("y_te"))
    assert (np.abs(tr / tr.sum() - te / te.sum()) < 0.05).all(), (tr, te)
    run.ok("train and test keep the class ratio")


@check("cross-validation", "sklearn")
def _cv_sklearn(run: Run) -> None:
    scores = run.new("scores")
    for name in run.new("scoring"):
        assert len(scores["test_" + name]) == 5 and finite(scores["test_" + name])
    run.ok("5 stratified folds scored")


@check("cross-validation", "pytorch")
def _cv_torch(run: Run) -> None:
    scores = run.new("scores")
    assert len(scores) == 5 and all(0 <= s <= 1 for s in scores)
    model = run.context["model"]
    assert not torch_changed(run, model), "the model should be back at its initial weights"
    run.ok("5 folds trained from the same initial weights; model restored afterwards")


@check("confusion-matrix", "pytorch", "keras", "sklearn")
def _confusion(run: Run) -> None:
    cm = np.asarray(run.new("cm"))
    rows = cm.sum(axis=1)
    assert np.allclose(rows[rows > 0], 1), f"rows should sum to 1: {rows}"
    run.ok(f"row-normalised {cm.shape[0]}x{cm.shape[1]} confusion matrix")


@check("performance-visualization", "pytorch", "sklearn")
def _curves(run: Run) -> None:
    png = run.cwd / "pr_roc_curves.png"
    assert png.is_file() and png.stat().st_size > 1000
    run.ok("PR and ROC curves saved")


# ------------------------------------------------------------------ training set-up

def _lr_of_keras(model) -> float:
    return float(np.asarray(model.optimizer.learning_rate))


@check("lr-reduction", "pytorch")
def _lr_torch(run: Run) -> None:
    if run.rule == "STB009":
        import torch

        scheduler = run.new("scheduler")
        assert isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
        assert "val loss" in run.output
        run.ok("ReduceLROnPlateau stepped on the validation loss each epoch")
        return
    target = run.facts["lr_typical"]
    lrs = [g["lr"] for g in run.context["optimizer"].param_groups]
    if run.rule == "STB008" and run.context["optimizer"].defaults["lr"] <= run.facts["lr_high"]:
        assert all(close(lr, run.context["optimizer"].defaults["lr"]) for lr in lrs)
        run.ok("a learning rate within the usual range is left alone")
        return
    assert all(close(lr, float(f"{target:.3g}")) for lr in lrs), f"lr {lrs}, advised {target:.3g}"
    run.ok(f"every parameter group at the advised lr {target:.3g}")


@check("lr-reduction", "keras")
def _lr_keras(run: Run) -> None:
    import keras

    if run.rule == "STB009":
        model = trained_keras(run)
        assert isinstance(run.new("reduce_lr"), keras.callbacks.ReduceLROnPlateau)
        assert _lr_of_keras(model) <= 1e-3 + 1e-9
        run.ok("ReduceLROnPlateau attached")
        return
    model = trained_keras(run)
    target = float(f"{run.facts['lr_typical']:.3g}")
    assert close(_lr_of_keras(model), target, rel=1e-5), (_lr_of_keras(model), target)
    run.ok(f"recompiled at the advised lr {target:.3g}")


@check("lr-reduction", "huggingface")
def _lr_hf(run: Run) -> None:
    args = args_of(run)
    if run.rule == "STB009":
        assert args.lr_scheduler_type == "reduce_lr_on_plateau"
        run.ok("reduce_lr_on_plateau scheduler")
    else:
        target = float(f"{run.facts['lr_typical']:.3g}")
        assert close(args.learning_rate, target), (args.learning_rate, target)
        run.ok(f"TrainingArguments at the advised lr {target:.3g}")
    hf_trained(run)


@check("gradient-clipping", "pytorch")
def _clip_torch(run: Run) -> None:
    grad_norm = run.new("grad_norm")
    assert finite(grad_norm) and float(grad_norm) >= 0
    run.ok(f"gradient norm measured and clipped at 1.0 (last {float(grad_norm):.3g})")


@check("gradient-clipping", "keras")
def _clip_keras(run: Run) -> None:
    model = trained_keras(run)
    assert model.optimizer.clipnorm == 1.0
    run.ok("optimizer clipnorm=1.0")


@check("gradient-clipping", "huggingface")
def _clip_hf(run: Run) -> None:
    assert args_of(run).max_grad_norm == 1.0
    run.ok("max_grad_norm=1.0")
    hf_trained(run)


@check("lr-warmup-schedule", "pytorch")
def _warmup_torch(run: Run) -> None:
    import torch

    scheduler = run.new("scheduler")
    assert isinstance(scheduler, torch.optim.lr_scheduler.SequentialLR)
    lr_now = run.context["optimizer"].param_groups[0]["lr"]
    peak = run.context["optimizer"].param_groups[0]["initial_lr"]
    assert 0 <= lr_now < peak, (lr_now, peak)
    run.ok(f"linear warm-up then cosine decay: lr {lr_now:.3g} after training, peak {peak:.3g}")


@check("lr-warmup-schedule", "keras")
def _warmup_keras(run: Run) -> None:
    import keras

    model = trained_keras(run)
    schedule = model.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay) and schedule.warmup_steps >= 1
    run.ok(f"CosineDecay with {schedule.warmup_steps} warm-up steps")


@check("lr-warmup-schedule", "huggingface")
def _warmup_hf(run: Run) -> None:
    args = args_of(run)
    assert args.lr_scheduler_type == "cosine" and args.warmup_steps >= 1
    run.ok(f"cosine schedule, {args.warmup_steps} warm-up steps")
    hf_trained(run)


def _micro_batch(run: Run) -> int | None:
    return run.facts.get("suggested_micro_batch")


@check("reduce-batch-size", "pytorch")
@check("gradient-accumulation", "pytorch")
def _accumulate_torch(run: Run) -> None:
    loader = loader_of(run, "loader")
    expected = _micro_batch(run) if run.rule in ("MEM003", "MEM004") else \
        max(1, (run.context["train_loader"].batch_size or 32) // 2)
    assert loader.batch_size == expected, (loader.batch_size, expected)
    assert run.new("accum_steps") >= 1
    assert torch_changed(run), "no optimizer step was taken"
    run.ok(f"micro-batch {loader.batch_size} x {run.new('accum_steps')} accumulation steps, weights updated")


@check("reduce-batch-size", "keras")
@check("gradient-accumulation", "keras")
def _accumulate_keras(run: Run) -> None:
    model = trained_keras(run)
    steps = model.optimizer.gradient_accumulation_steps
    expected = run.facts.get("grad_accum_steps") if run.rule in ("MEM003", "MEM004") else 2
    assert steps == expected, (steps, expected)
    run.ok(f"optimizer accumulates {steps} micro-batches")


@check("reduce-batch-size", "huggingface")
@check("gradient-accumulation", "huggingface")
def _accumulate_hf(run: Run) -> None:
    args = args_of(run)
    if run.rule in ("MEM003", "MEM004"):
        assert args.per_device_train_batch_size == _micro_batch(run)
        assert args.gradient_accumulation_steps == run.facts["grad_accum_steps"]
        hf_trained(run)
    else:
        assert args.gradient_accumulation_steps * args.per_device_train_batch_size >= 16
    run.ok(f"micro-batch {args.per_device_train_batch_size} x {args.gradient_accumulation_steps} steps")


@check("gradient-accumulation", "lightning")
def _accumulate_lightning(run: Run) -> None:
    trainer = run.new("trainer")
    assert trainer.accumulate_grad_batches == run.facts["grad_accum_steps"]
    _fit_lightning(run, trainer)
    batches = len(run.context["train_loader"])
    expected = math.ceil(batches / trainer.accumulate_grad_batches)
    assert trainer.global_step == expected, (trainer.global_step, expected)
    run.ok(f"{batches} batches gave {trainer.global_step} optimizer steps (accumulating {trainer.accumulate_grad_batches})")


def _fit_lightning(run: Run, trainer) -> None:
    """Fit the context model with the snippet's Trainer for one epoch."""
    import lightning as L
    import torch

    class Wrapped(L.LightningModule):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def training_step(self, batch, _):
            inputs, targets = batch
            return torch.nn.functional.cross_entropy(self.net(inputs), targets)

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    trainer.fit_loop.max_epochs = 1
    trainer.fit(Wrapped(run.context["model"]), train_dataloaders=run.context["train_loader"])
    assert torch_changed(run)


@check("distributed-data-parallel", "lightning")
def _ddp_lightning(run: Run) -> None:
    from lightning.pytorch.strategies import DDPStrategy

    trainer = run.new("trainer")
    assert isinstance(trainer.strategy, DDPStrategy)
    trainer.logger = None
    _fit_lightning(run, trainer)
    run.ok("the DDP Trainer fits the model (one CPU process)")


@check("distributed-data-parallel", "pytorch")
def _ddp_torch(run: Run) -> None:
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data.distributed import DistributedSampler

    assert isinstance(run.new("model"), DistributedDataParallel), "the model was not wrapped in DDP"
    assert isinstance(run.new("sampler"), DistributedSampler)
    run.ok("model wrapped in DDP over gloo, loader sharded by a DistributedSampler")


@check("distributed-data-parallel", "huggingface")
def _ddp_hf(run: Run) -> None:
    assert args_of(run).ddp_find_unused_parameters is False
    run.ok("ddp_find_unused_parameters=False")


@check("sharded-training", "pytorch")
@check("cpu-offload", "pytorch")
def _fsdp_torch(run: Run) -> None:
    import torch
    from torch.distributed.tensor import DTensor

    model = run.context["model"]
    assert all(isinstance(p, DTensor) for p in model.parameters()), "parameters were not sharded"
    optimizer = run.new("optimizer")
    inputs, targets = next(iter(run.context["train_loader"]))
    loss = torch.nn.functional.cross_entropy(model(inputs).float(), targets)
    loss.backward()
    optimizer.step()
    assert finite(loss)
    run.ok("fully_shard: DTensor parameters; a training step on the sharded model is finite")


@check("sharded-training", "huggingface")
def _fsdp_hf(run: Run) -> None:
    args = args_of(run)
    assert args.fsdp and args.fsdp_config.get("reshard_after_forward") is True, (args.fsdp, args.fsdp_config)
    run.ok("FSDP with full resharding (ZeRO-3) configured")


@check("cpu-offload", "huggingface")
def _offload_hf(run: Run) -> None:
    config = run.new("ds_config")
    assert config["zero_optimization"]["offload_optimizer"]["device"] == "cpu"
    assert args_of(run).deepspeed == config
    run.ok("DeepSpeed ZeRO optimizer offload to CPU configured")


# ------------------------------------------------------------------ precision and memory

@check("mixed-precision", "pytorch")
def _amp_torch(run: Run) -> None:
    import torch

    model = run.context["model"]
    assert all(p.dtype == torch.float32 for p in model.parameters()), "master weights must stay fp32"
    assert torch_changed(run) and finite(run.new("loss"))
    with torch.autocast("cpu", dtype=run.ns.get("amp_dtype", torch.bfloat16)):
        low = forward(model, torch_batch(run)[0])
    assert low.dtype in (torch.bfloat16, torch.float16)
    run.ok(f"trained under autocast ({low.dtype}); fp32 master weights")


def _policy_model(run: Run):
    import keras

    models = [m for m in keras_models(run) if m is not run.context["model"]]
    return models[-1] if models else run.context["model"]


@check("mixed-precision", "keras")
def _amp_keras(run: Run) -> None:
    model = _policy_model(run)
    hidden = [layer for layer in model.layers if layer.weights][:-1]
    assert hidden and all(layer.dtype_policy.compute_dtype in ("float16", "bfloat16") for layer in hidden)
    assert all(w.dtype == "float32" for w in model.weights), "variables must stay float32"
    assert model.layers[-1].dtype_policy.compute_dtype == "float32", "the output layer should compute in float32"
    trained_keras(run)
    run.ok(f"hidden layers compute in {hidden[0].dtype_policy.compute_dtype}, output and variables float32")


@check("mixed-precision", "huggingface")
@check("safer-precision", "huggingface")
def _precision_hf(run: Run) -> None:
    import torch

    args = args_of(run)
    assert not args.fp16, "fp16 must not be on"
    if run.strategy == "safer-precision" and run.rule in ("STB002", "STB004"):
        assert args.bf16 == torch.cuda.is_available(), "bf16 wherever there is a GPU"
    assert all(p.dtype == torch.float32 for p in run.context["model"].parameters())
    run.ok(f"bf16={args.bf16}, fp16={args.fp16}; fp32 weights")
    if run.new("trainer") is not None and run.rule not in ("PERF004",):
        hf_trained(run)


@check("safer-precision", "pytorch")
def _safer_torch(run: Run) -> None:
    import torch

    model = run.new("model")
    assert all(p.dtype == torch.float32 for p in model.parameters()), "fp32 master weights"
    assert torch_changed(run, model) and finite(run.new("loss"))
    run.ok("fp32 master weights trained, loss finite")


@check("safer-precision", "keras")
def _safer_keras(run: Run) -> None:
    model = trained_keras(run)
    want = {"STB001": "float32", "STB002": "bfloat16", "STB003": "float32"}[run.rule]
    hidden = [layer for layer in model.layers if layer.weights][:-1] or model.layers[:1]
    assert all(layer.dtype_policy.compute_dtype == want for layer in hidden), \
        [layer.dtype_policy.name for layer in model.layers]
    assert all(w.dtype == "float32" for w in model.weights)
    run.ok(f"rebuilt under the {want} policy, float32 variables")


@check("gradient-checkpointing", "pytorch")
def _checkpoint_torch(run: Run) -> None:
    model = run.new("model")
    wrapped = [m for m in model.modules() if type(m).__name__ == "Checkpointed"]
    assert wrapped, "no block was wrapped for checkpointing"
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and finite(g) for g in grads), "backward through the checkpoints gave no gradient"
    run.ok(f"{len(wrapped)} checkpointed block(s); backward reaches every parameter")


@check("gradient-checkpointing", "huggingface")
def _checkpoint_hf(run: Run) -> None:
    model = run.context["model"]
    assert model.is_gradient_checkpointing and model.config.use_cache is False
    run.ok("gradient checkpointing on, KV cache off")
    if run.new("trainer") is not None:
        hf_trained(run)


@check("memory-efficient-optimizer", "pytorch")
def _optim8bit_torch(run: Run) -> None:
    import torch

    optimizer = run.new("optimizer")
    assert type(optimizer).__name__ == "AdamW8bit"
    model = run.context["model"]
    inputs, targets = next(iter(run.context["train_loader"]))
    torch.nn.functional.cross_entropy(model(inputs), targets).backward()
    optimizer.step()
    assert all(finite(p) for p in model.parameters())
    # the context model's tensors are below bitsandbytes' min_8bit_size (4096): step a larger one too
    big = torch.nn.Parameter(torch.randn(128, 64))
    probe = type(optimizer)([big], **{k: v for k, v in optimizer.defaults.items() if k in ("lr", "betas", "weight_decay")})
    big.grad = torch.randn_like(big)
    probe.step()
    assert probe.state[big]["state1"].dtype == torch.uint8, "optimizer state should be 8-bit"
    run.ok("AdamW8bit steps the model; large tensors keep 8-bit state")


@check("memory-efficient-optimizer", "huggingface")
def _optim8bit_hf(run: Run) -> None:
    args = args_of(run)
    optim = getattr(args.optim, "value", args.optim)
    assert "8bit" in optim or "adafactor" in optim, optim
    trainer = run.new("trainer")
    if trainer is not None:
        optimizer = trainer.create_optimizer()
        inner = getattr(optimizer, "optimizer", optimizer)
        assert type(inner).__module__.startswith("bitsandbytes") or "Adafactor" in type(inner).__name__, type(inner)
    run.ok(f"optim={optim}")


@check("memory-efficient-optimizer", "keras")
def _adafactor_keras(run: Run) -> None:
    import keras

    assert isinstance(run.context["model"].optimizer, keras.optimizers.Adafactor)
    run.ok("compiled with Adafactor")


@check("parameter-efficient-finetuning", "pytorch", "huggingface")
def _lora(run: Run) -> None:
    from peft import PeftModel

    model = run.new("model")
    assert isinstance(model, PeftModel)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert any("lora_" in n for n in trainable) and frozen
    assert all("lora_" in n or "modules_to_save" in n or "score" in n or "classifier" in n for n in trainable), \
        [n for n in trainable if "lora_" not in n][:5]
    run.ok(f"LoRA: {len(trainable)} trainable tensors (adapters and head), {len(frozen)} frozen base tensors")


@check("quantization", "pytorch")
def _quantized_torch(run: Run) -> None:
    model = run.context["model"]
    linear_weights = [m.weight for m in model.modules() if type(m).__name__ == "Linear"]
    assert linear_weights and all(type(w).__name__ != "Parameter" or "int8" in str(w.dtype) for w in linear_weights), \
        [type(w).__name__ for w in linear_weights]
    assert finite(run.new("outputs"))
    run.ok("Linear weights int8 (torchao); outputs finite")


@check("quantization", "huggingface")
def _quantized_hf(run: Run) -> None:
    model = run.new("model")
    layers = [type(m).__name__ for m in model.modules() if "8bit" in type(m).__name__ or "4bit" in type(m).__name__]
    assert layers, "no bitsandbytes layer"
    assert model.get_memory_footprint() < run.context["model"].get_memory_footprint()
    run.ok(f"{len(layers)} bitsandbytes layers; memory footprint below the fp32 model's")


@check("reduce-sequence-length", "pytorch")
def _short_torch(run: Run) -> None:
    out, max_len = run.new("out"), run.new("max_len")
    assert out.shape[-2] == max_len and finite(out)
    if run.new("short_loader") is not None:
        inputs, labels = next(iter(run.new("short_loader")))
        assert inputs.shape[1] <= max_len and len(labels) == len(inputs)
    run.ok(f"sequences cut to {max_len}; fused attention output finite")


@check("reduce-sequence-length", "huggingface")
def _short_hf(run: Run) -> None:
    max_len = run.new("max_len")
    assert max_len <= 512 and run.context["model"].config.max_length == max_len
    trainer_of(run)
    run.ok(f"sequences capped at {max_len} tokens")


# ------------------------------------------------------------------ generalisation

@check("regularization", "pytorch")
def _regularize_torch(run: Run) -> None:
    optimizer = run.new("optimizer")
    model = run.context["model"]
    params = {id(p) for p in model.parameters()}
    grouped = [p for g in optimizer.param_groups for p in g["params"]]
    assert {id(p) for p in grouped} == params, "the optimizer must cover exactly the model's parameters"
    if run.rule == "GEN010":
        assert all(g["weight_decay"] == 0 for g in optimizer.param_groups)
        assert all(m.p == 0 for m in model.modules() if type(m).__name__ == "Dropout")
        run.ok("dropout and weight decay off")
        return
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] > 0 and no_decay["weight_decay"] == 0
    assert all(p.ndim >= 2 for p in decay["params"]) and all(p.ndim < 2 for p in no_decay["params"])
    run.ok("weight decay on matrices only, not on biases or norms")


@check("regularization", "keras")
def _regularize_keras(run: Run) -> None:
    model = trained_keras(run)
    if run.rule == "GEN001":
        assert any(getattr(layer, "kernel_regularizer", None) is not None for layer in model.layers)
        assert model.optimizer.weight_decay == 0.05
        run.ok("L2 kernel regulariser and AdamW weight decay")
    else:
        run.ok("recompiled without extra regularisation")


@check("regularization", "sklearn")
def _regularize_sklearn(run: Run) -> None:
    model = run.new("model")
    assert fitted(model)
    if run.rule == "GEN001":
        assert len(np.atleast_1d(model.C_)) >= 1
        run.ok(f"C chosen by cross-validation: {np.atleast_1d(model.C_)[0]:.3g}")
    else:
        assert model.C == 100.0
        run.ok("weaker penalty C=100")


@check("regularization", "huggingface")
def _regularize_hf(run: Run) -> None:
    assert args_of(run).weight_decay == 0.05
    run.ok("weight_decay=0.05")


@check("dropout", "pytorch")
def _dropout_torch(run: Run) -> None:
    rates = [m.p for m in run.context["model"].modules() if type(m).__name__ == "Dropout"]
    assert rates and all(p == 0.3 for p in rates), rates
    run.ok(f"{len(rates)} dropout layer(s) at p=0.3")


@check("dropout", "keras")
def _dropout_keras(run: Run) -> None:
    model = trained_keras(run)
    assert [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"] == [0.3]
    run.ok("Dropout(0.3) before the classifier")


@check("early-stopping", "pytorch")
def _early_torch(run: Run) -> None:
    best = run.new("best_state")
    model = run.context["model"]
    assert all(torch_equal(p, best[n]) for n, p in model.named_parameters()), "the best weights were not restored"
    run.ok(f"best weights restored (val loss {run.new('best_loss'):.4f})")


@check("early-stopping", "keras")
def _early_keras(run: Run) -> None:
    stop = run.new("stop")
    assert stop.restore_best_weights and stop.monitor == "val_loss"
    model = trained_keras(run)
    assert len(history_losses(model)) <= 100
    run.ok(f"EarlyStopping on val_loss ran {len(history_losses(model))} epochs")


@check("early-stopping", "huggingface")
def _early_hf(run: Run) -> None:
    from transformers import EarlyStoppingCallback

    trainer = trainer_of(run)
    assert any(isinstance(cb, EarlyStoppingCallback) for cb in trainer.callback_handler.callbacks)
    assert trainer.args.load_best_model_at_end and trainer.args.metric_for_best_model == "eval_loss"
    run.ok("EarlyStoppingCallback with load_best_model_at_end on eval_loss")


@check("early-stopping", "sklearn")
def _early_sklearn(run: Run) -> None:
    model = run.new("model")
    assert fitted(model) and model.n_iter_ < model.max_iter
    run.ok(f"stopped after {model.n_iter_} of {model.max_iter} iterations")


@check("ensembling", "pytorch")
def _ensemble_torch(run: Run) -> None:
    members = run.new("members")
    assert len(members) == 3
    first = [p.detach() for p in members[0].parameters()]
    assert not all(torch_equal(a, b) for a, b in zip(members[1].parameters(), first)), "members must differ"
    assert 0 <= run.new("correct") / run.new("total") <= 1
    run.ok("3 differently initialised members averaged")


@check("ensembling", "sklearn")
def _ensemble_sklearn(run: Run) -> None:
    ensemble = run.new("ensemble")
    assert fitted(ensemble) and len(ensemble.estimators_) == 3
    proba = ensemble.predict_proba(run.context["X_val"])
    assert np.allclose(proba.sum(axis=1), 1)
    run.ok("soft-voting ensemble of 3 fitted models")


@check("data-augmentation", "keras")
def _augment_keras(run: Run) -> None:
    model = trained_keras(run)
    assert model is run.new("aug_model")
    x = run.context["x_train"][:4]
    augmented = np.asarray(run.new("augment")(x, training=True))
    assert augmented.shape == x.shape and not np.allclose(augmented, x)
    assert np.allclose(np.asarray(run.new("augment")(x, training=False)), x)
    run.ok("augmentation changes inputs in training only")


@check("data-augmentation", "sklearn")
def _augment_sklearn(run: Run) -> None:
    X_aug = run.new("X_aug")
    assert len(X_aug) == 2 * len(run.context["X_train"]) and fitted(run.new("model"))
    run.ok("training set doubled with jittered copies")


@check("data-augmentation", "huggingface")
def _augment_hf(run: Run) -> None:
    paraphrases, texts = run.new("paraphrases"), run.new("texts")
    assert len(paraphrases) == len(texts) and all(isinstance(t, str) for t in paraphrases)
    run.ok(f"{len(paraphrases)} back-translated texts")


@check("transfer-learning", "huggingface")
def _transfer_hf(run: Run) -> None:
    model = run.new("model")
    assert model is not run.context["model"] and model.config.num_labels == (run.facts.get("num_classes") or 2)
    ids = run.context["tokenizer"](["w1 w2 w3"], return_tensors="pt")
    assert finite(forward(model, ids["input_ids"]))
    run.ok(f"loaded from the checkpoint with a {model.config.num_labels}-label head")


@check("transfer-learning", "keras")
def _transfer_keras(run: Run) -> None:
    base = run.new("base")
    assert base.trainable is False and base.weights
    head = run.new("tl_model") or run.new("model")
    assert head.optimizer is not None and head.output_shape[-1] == run.classes
    run.ok("frozen backbone with a new head, compiled")


@check("sanity-checks", "pytorch")
def _sanity_torch(run: Run) -> None:
    if run.rule == "STB014":
        outputs = run.new("outputs")
        assert "trainable:" in run.output and finite(outputs) and not outputs.requires_grad
        assert run.context["model"].training
        run.ok("trainable share reported; evaluation under no_grad")
        return
    final = float(run.new("loss"))
    assert final < 0.5 * math.log(run.classes), f"one batch not overfitted: loss {final:.3f}"
    run.ok(f"one batch overfitted: loss {final:.3g} from about ln({run.classes})")


@check("sanity-checks", "keras")
def _sanity_keras(run: Run) -> None:
    losses = history_losses(run.context["model"])
    assert losses[-1] < 0.5 * losses[0], losses[:: max(1, len(losses) // 5)]
    run.ok(f"one batch overfitted: loss {losses[0]:.3g} -> {losses[-1]:.3g}")


# ------------------------------------------------------------------ data

@check("data-cleaning", "sklearn")
def _clean_sklearn(run: Run) -> None:
    if run.rule == "DAT001":
        issues, labels = run.new("issues"), run.new("labels")
        assert ((0 <= issues) & (issues < len(labels))).all() and len(set(issues)) == len(issues)
        run.ok(f"{len(issues)} suspected label errors, ranked")
    else:
        assert len(run.new("train_h")) == len(run.context["X_train"])
        run.ok("row hashes for duplicates and leakage")


@check("data-cleaning", "pytorch")
def _clean_torch(run: Run) -> None:
    if run.rule == "DAT001":
        losses = run.new("losses")
        assert len(losses) == len(run.context["train_dataset"]) and finite(losses)
        run.ok("per-sample training losses, worst first")
    else:
        assert len(run.new("train_h")) == len(run.context["train_dataset"])
        run.ok("sample hashes for duplicates and leakage")


@check("crowdsourced-labeling", "sklearn")
def _crowd(run: Run) -> None:
    votes, agreement = run.new("votes"), run.new("agreement")
    assert len(votes) == len(agreement) and ((0 < agreement) & (agreement <= 1)).all()
    run.ok("majority votes and agreement per item")


@check("open-datasets", "huggingface")
def _open_hf(run: Run) -> None:
    combined, public = run.new("combined"), run.new("public")
    assert len(combined) == len(public) + len(run.context["train_dataset"])
    run.ok(f"{len(public)} public examples added")


@check("data-integration", "pytorch", "sklearn")
def _integration(run: Run) -> None:
    if run.framework == "sklearn":
        assert len(run.new("scores")) == 3
        run.ok("scored per held-out source")
    else:
        assert len(run.new("combined")) == len(run.context["train_dataset"]) == len(run.new("source_of"))
        run.ok("sources combined and tagged")


@check("efficient-dataloading", "pytorch")
def _loading_torch(run: Run) -> None:
    loader = run.new("loader")
    assert loader.num_workers >= 1 and loader.prefetch_factor == 4
    run.ok(f"{loader.num_workers} worker process(es), prefetching")


@check("efficient-dataloading", "keras")
def _loading_keras(run: Run) -> None:
    batches = run.new("train_batches")
    assert batches.workers == 4 and len(batches) == math.ceil(len(run.context["x_train"]) / 64)
    trained_keras(run)


@check("efficient-dataloading", "huggingface")
def _loading_hf(run: Run) -> None:
    args = args_of(run)
    assert args.dataloader_num_workers >= 1 and args.dataloader_prefetch_factor == 4
    run.ok("dataloader workers and prefetching configured")


@check("parallel-preprocessing", "pytorch")
def _preprocess_torch(run: Run) -> None:
    processed = run.new("processed")
    assert len(processed) == len(run.context["train_dataset"])
    x, _ = processed[0]
    assert abs(float(np.mean(x))) < 1e-4 and abs(float(np.std(x)) - 1) < 1e-3
    run.ok("every sample normalised in a worker pool")


@check("parallel-preprocessing", "keras")
def _preprocess_keras(run: Run) -> None:
    x, y = run.new("dataset")[0]
    assert np.allclose(x.reshape(len(x), -1).mean(axis=1), 0, atol=1e-4)
    trained_keras(run)


@check("parallel-preprocessing", "huggingface")
def _preprocess_hf(run: Run) -> None:
    assert len(run.new("train_dataset")) == len(run.context["train_dataset"])
    run.ok("dataset mapped in worker processes")


@check("preprocessing-cache", "pytorch")
def _cache_torch(run: Run) -> None:
    assert (run.cwd / run.new("cache")).is_file() and len(run.new("features")) == len(run.context["train_dataset"])
    run.ok("preprocessed tensors cached on disk")


@check("preprocessing-cache", "keras")
def _cache_keras(run: Run) -> None:
    assert (run.cwd / run.new("cache")).is_file() and isinstance(run.new("x_cached"), np.memmap)
    trained_keras(run)


@check("preprocessing-cache", "huggingface")
def _cache_hf(run: Run) -> None:
    assert (run.cwd / "train_preprocessed").is_dir()
    assert run.new("train_dataset")["label"] == run.context["train_dataset"]["label"]
    run.ok("dataset saved and reloaded memory-mapped")


@check("pruning", "pytorch")
def _prune(run: Run) -> None:
    sparsity = run.new("zeros") / run.new("total")
    assert 0.29 <= sparsity <= 0.31, sparsity
    assert not any(n.endswith("_orig") for n, _ in run.context["model"].named_parameters()), "masks not removed"
    run.ok(f"global sparsity {sparsity:.1%}, masks baked in")


# ------------------------------------------------------------------ evaluation and reliability

def _predictions(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predicted classes of the context model on the validation data."""
    if run.framework == "keras":
        return run.context["y_val"], run.context["model"].predict(run.context["x_val"], verbose=0).argmax(1)
    if run.framework == "sklearn":
        return run.context["y_val"], run.ns["model"].predict(run.context["X_val"])
    import torch

    xs, ys = zip(*run.context["val_loader"])
    return torch.cat(ys).numpy(), forward(run.context["model"], torch.cat(xs)).argmax(1).numpy()


@check("error-analysis", "pytorch", "keras", "sklearn")
def _errors(run: Run) -> None:
    y_true, y_pred = _predictions(run)
    expected = int((y_true != y_pred).sum())
    if run.rule == "REL002" and run.framework == "pytorch":
        found = len(run.new("wrong"))
    else:
        found = len(run.new("errors"))
    assert found == expected, f"{found} errors reported, {expected} misclassified"
    run.ok(f"{found} misclassified validation samples, as counted independently")


@check("stress-testing", "pytorch", "sklearn")
def _stress(run: Run) -> None:
    numbers = [float(v) for v in __import__("re").findall(r"(?:accuracy|score) ([0-9.]+)", run.output)]
    assert len(numbers) >= 4 and all(0 <= v <= 1 for v in numbers), run.output[-300:]
    run.ok(f"scores at {len(numbers)} noise levels")


@check("monitoring", "pytorch")
def _monitor_torch(run: Run) -> None:
    assert finite([run.new("train_loss"), run.new("val_loss"), run.new("gap")])
    run.ok("train/validation losses and their gap")


@check("monitoring", "keras")
def _monitor_keras(run: Run) -> None:
    assert (run.cwd / "history.csv").is_file() and finite(run.new("gap"))
    trained_keras(run)


@check("seed-control", "pytorch")
def _seeds_torch(run: Run) -> None:
    if run.rule == "REL005":
        scores = run.new("scores")
        assert len(scores) == 3 and all(0 <= s <= 1 for s in scores)
        first = run.new("evaluate_seed")(0)
        assert first == run.new("evaluate_seed")(0), "the same seed must give the same score"
        run.ok("seeded runs are reproducible; mean ± std over 3 seeds")
    else:
        assert len(run.new("results")) == 3
        run.ok("3 seeds compared")


@check("seed-control", "keras")
def _seeds_keras(run: Run) -> None:
    import keras

    a = np.asarray(keras.random.uniform((3,), seed=None))
    keras.utils.set_random_seed(0)
    b = np.asarray(keras.random.uniform((3,)))
    keras.utils.set_random_seed(0)
    assert np.array_equal(b, np.asarray(keras.random.uniform((3,)))) and a.shape == b.shape
    run.ok("keras.utils.set_random_seed makes draws repeat")


@check("seed-control", "huggingface")
def _seeds_hf(run: Run) -> None:
    args = args_of(run)
    assert args.seed == 0 and args.data_seed == 0
    run.ok("seed and data_seed fixed")


@check("seed-control", "sklearn")
def _seeds_sklearn(run: Run) -> None:
    scores = run.new("scores")
    assert len(scores) >= 5 and finite(scores)
    run.ok(f"{len(scores)} seeded fits or folds")


@check("feature-importance", "sklearn")
def _importance_sklearn(run: Run) -> None:
    features = run.context["X_val"].shape[1]
    if run.rule == "EXPL002":
        assert len(run.new("shap_rank")) == features and (run.cwd / "shap_beeswarm.png").is_file()
        run.ok(f"SHAP values with {type(run.new('explainer')).__name__}")
    else:
        assert len(run.new("result").importances_mean) == features
        run.ok("permutation importance for every feature")


@check("feature-importance", "pytorch", "keras")
def _importance_nets(run: Run) -> None:
    if run.rule == "EXPL003":
        saliency = np.asarray(run.new("saliency"))
        assert saliency.size > 0 and finite(saliency) and np.abs(saliency).sum() > 0
        run.ok(f"attributions of shape {saliency.shape}")
    else:
        importance = run.new("importance")
        width = int(np.prod(run.context["x_val" if run.framework == "keras" else "val_loader"].shape[1:])) \
            if run.framework == "keras" else int(np.prod(next(iter(run.context["val_loader"]))[0].shape[1:]))
        assert len(importance) == width
        run.ok(f"accuracy drop for each of {width} inputs")


@check("local-explanations", "sklearn", "pytorch")
def _local(run: Run) -> None:
    assert "explaining" in run.output or "case" in run.output or "no mistakes" in run.output, run.output[-300:]
    run.ok("explanations printed for the most confident mistakes")


@check("model-visualization", "pytorch", "keras")
def _tensorboard(run: Run) -> None:
    events = list((run.cwd / "runs" / "model-graph").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 100
    run.ok("TensorBoard event file written")


@check("model-comparison", "sklearn", "pytorch")
@check("model-simplification", "sklearn", "pytorch")
def _baseline(run: Run) -> None:
    numbers = [float(v) for v in __import__("re").findall(r"\b0?\.\d+|\b1\.0+\b", run.output)]
    assert numbers, run.output[-300:]
    run.ok("compared with an interpretable model")


@check("hyperparameter-search", "pytorch")
def _search_torch(run: Run) -> None:
    fine = run.new("fine")
    assert 0 <= fine.best_value <= 1 and {"lr", "weight_decay"} <= set(fine.best_params)
    assert not torch_changed(run), "the model should be back at its initial weights"
    run.ok(f"best lr {fine.best_params['lr']:.3g}")


@check("hyperparameter-search", "sklearn")
def _search_sklearn(run: Run) -> None:
    search = run.new("search")
    assert fitted(search.best_estimator_) and 0 <= search.best_score_ <= 1
    run.ok(f"best CV score {search.best_score_:.3f}")


@check("check-data-pipeline", "pytorch")
def _pipeline_torch(run: Run) -> None:
    assert "NaN/Inf" not in run.output and "outside" not in run.output and finite(run.new("loss"))
    run.ok("clean data passes every check; anomaly detection finds nothing")


@check("check-data-pipeline", "keras")
def _pipeline_keras(run: Run) -> None:
    assert "non-finite values: inputs 0 labels 0" in run.output
    trained_keras(run)


# ------------------------------------------------------------------ architecture

@check("weight-initialization", "pytorch")
def _init_torch(run: Run) -> None:
    linears = [m for m in run.context["model"].modules() if type(m).__name__ in ("Linear", "Conv2d")]
    assert all(m.bias is None or float(m.bias.abs().sum()) == 0 for m in linears), "biases should be zero"
    assert torch_changed(run)
    run.ok(f"{len(linears)} layers re-initialised, zero biases")


@check("weight-initialization", "keras")
def _init_keras(run: Run) -> None:
    import keras

    assert isinstance(run.new("relu_layer").kernel_initializer, keras.initializers.HeNormal)
    run.ok("He initialiser for the ReLU layer")


@check("activation-choice", "pytorch")
def _activation_torch(run: Run) -> None:
    assert not any(type(m).__name__ in ("Sigmoid", "Tanh") for m in run.context["model"].modules())
    run.ok("no saturating activation left")


@check("activation-choice", "keras")
def _activation_keras(run: Run) -> None:
    hidden = run.new("hidden")
    out = hidden(np.ones((2, 8), dtype="float32"))
    assert tuple(out.shape) == (2, 128)
    run.ok("ReLU block builds and runs")


@check("batch-normalization", "pytorch", "keras")
@check("residual-connections", "pytorch", "keras")
def _blocks(run: Run) -> None:
    import torch

    names = ("conv_block", "dense_block", "encoder", "stage", "block", "residual_block")
    built = [run.new(n) for n in names if run.new(n) is not None]
    assert built, "no block was built"
    for block in built:
        if run.framework == "pytorch":
            first = next(m for m in block.modules() if hasattr(m, "in_features") or hasattr(m, "in_channels")
                         or hasattr(m, "d_model") or type(m).__name__ == "TransformerEncoderLayer")
            if hasattr(first, "in_channels"):
                x = torch.randn(2, first.in_channels, 8, 8)
            elif hasattr(first, "in_features"):
                x = torch.randn(8, first.in_features)
            else:
                x = torch.randn(2, 4, 256)
            block.train()
            out = block(x)
            out.float().sum().backward()
            assert finite(out)
        else:
            shape = tuple(d or 4 for d in block.input_shape[1:]) if hasattr(block, "input_shape") else (8,)
            import keras

            assert finite(keras.ops.convert_to_numpy(block(np.ones((2, *shape), dtype="float32"))))
    run.ok(f"{len(built)} block(s) run forward" + (" and backward" if run.framework == "pytorch" else ""))


@check("optimizer-choice", "pytorch")
def _optimizer_torch(run: Run) -> None:
    import torch

    optimizer = run.new("optimizer")
    if run.facts.get("model_family") == "cnn":
        assert isinstance(optimizer, torch.optim.SGD) and optimizer.defaults["momentum"] == 0.9
    else:
        assert isinstance(optimizer, torch.optim.AdamW)
    covered = {id(p) for g in optimizer.param_groups for p in g["params"]}
    assert covered == {id(p) for p in run.context["model"].parameters()}
    run.ok(f"{type(optimizer).__name__} over all parameters")


@check("optimizer-choice", "keras")
def _optimizer_keras(run: Run) -> None:
    import keras

    model = trained_keras(run)
    assert isinstance(model.optimizer, (keras.optimizers.AdamW, keras.optimizers.SGD))
    run.ok(f"compiled with {type(model.optimizer).__name__}")


@check("optimizer-choice", "huggingface")
def _optimizer_hf(run: Run) -> None:
    assert args_of(run).weight_decay == 0.01 and "adamw" in getattr(args_of(run).optim, "value", "")
    hf_trained(run)


# ------------------------------------------------------------------ privacy

@check("anonymization", "pytorch")
def _anon_torch(run: Run) -> None:
    clean = run.new("clean")
    assert all(not {"name", "email"} & set(r) for r in clean)
    assert all(r["user_id"] != raw["user_id"] and len(r["user_id"]) == 32 for r, raw in zip(clean, run.new("raw")))
    assert run.new("pseudonymise")(1001) == clean[0]["user_id"], "pseudonyms must be stable"
    run.ok("identifiers dropped, join keys pseudonymised stably")


@check("anonymization", "sklearn")
def _anon_sklearn(run: Run) -> None:
    df = run.new("df")
    assert "name" not in df and "email" not in df and df["zip"].str.endswith("**").all()
    run.ok("identifiers dropped, quasi-identifiers coarsened")


@check("encryption", "pytorch")
def _encrypt_torch(run: Run) -> None:
    sealed = (run.cwd / "checkpoint.pt.enc").read_bytes()
    assert b"PK" not in sealed[:4], "the checkpoint is stored in plain text"
    assert not torch_changed(run), "the decrypted weights differ from the saved ones"
    run.ok("checkpoint encrypted at rest and restored identically")


@check("encryption", "sklearn")
def _encrypt_sklearn(run: Run) -> None:
    from cryptography.fernet import InvalidToken

    token = (run.cwd / "model.pkl.enc").read_bytes()
    fernet = run.new("fernet")
    tampered = token[:-5] + bytes(5)
    try:
        fernet.decrypt(tampered)
    except InvalidToken:
        pass
    else:
        raise AssertionError("a tampered file was accepted")
    assert fitted(run.new("model"))
    run.ok("model encrypted; tampering detected")


@check("access-control", "pytorch")
def _access(run: Run) -> None:
    import stat

    mode = (run.cwd / "data" / "pii").stat().st_mode
    assert stat.S_IMODE(mode) == 0o700 and not run.new("too_open")
    run.ok("personal data readable by its owner only")


@check("data-backup", "pytorch")
def _backup(run: Run) -> None:
    import hashlib
    import json

    backup = run.new("backup_dir")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["checkpoint.pt"] == hashlib.sha256((backup / "checkpoint.pt").read_bytes()).hexdigest()
    assert not torch_changed(run)
    run.ok("backup verified by checksum and restored")


@check("security-audit", "pytorch")
def _audit(run: Run) -> None:
    logs = run.cwd / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "train.log").write_text("epoch 1 done\nmailed ana@example.com\n")
    findings = run.new("scan_for_pii")("logs")
    assert any(kind == "e-mail" for _, kind, _ in findings), findings
    run.ok("the scan finds a planted e-mail address")


@check("differential-privacy", "pytorch")
def _dp(run: Run) -> None:
    epsilon = run.new("privacy_engine").get_epsilon(run.new("TARGET_DELTA"))
    assert 0 < epsilon <= 8.5, epsilon
    run.ok(f"DP-SGD spent epsilon {epsilon:.2f} of the 8.0 budget")
