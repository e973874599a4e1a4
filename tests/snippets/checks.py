"""What a snippet must have done, beyond raising nothing.

After a snippet runs, `verify` applies its rule's own checks (the file beside
the rule, rules/<topic>/<ID>.check.py, each check marked `@applies("pytorch")`),
the checks of its strategy that several rules share (here, `@check("class-weighting",
"keras")`), then the general probes: a `loss` is finite, a trained model's
weights changed and stayed finite, a new loader yields labelled batches, a
fitted estimator predicts, a Trainer's logged losses are finite. Each check
returns what it verified; a snippet for which nothing at all could be verified
fails the test, so a new rule either does something observable through the
standard names or brings its own check file.
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
    text: str = ""  # the snippet as it ran: a check may run it again on a context it prepared (`rerun`)

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

    def rerun(self, context: dict[str, Any]) -> dict[str, Any]:
        """Run the same snippet again on `context` (a probe built to make its effect visible)."""
        from .runner import run as execute

        return execute(self.text, context, f"<{self.rule}-{self.framework} rerun>")


Check = Callable[[Run], None]
_REGISTRY: dict[tuple[str, str], list[Check]] = {}


def check(strategy: str, *frameworks: str) -> Callable[[Check], Check]:
    """Register a check for every rule of a strategy that several rules share, and the frameworks it applies to."""
    def register(fn: Check) -> Check:
        for fw in frameworks:
            _REGISTRY.setdefault((strategy, fw), []).append(fn)
        return fn
    return register


@dataclass(frozen=True)
class RuleCheck:
    """A check in a rule's own check file, for the frameworks it names."""
    fn: Check
    frameworks: tuple[str, ...]
    replaces: bool = False  # the strategy's shared checks do not run for these frameworks: this one verifies it all

    def __call__(self, run: Run) -> None:
        self.fn(run)


def applies(*frameworks: str, replaces: bool = False) -> Callable[[Check], RuleCheck]:
    """Mark a function of a rule's check file (<ID>.check.py) as a check for these frameworks; `replaces=True`
    when the rule's snippet does what its strategy's shared checks do not expect (its own plan, its own loss)."""
    return lambda fn: RuleCheck(fn, frameworks, replaces)


CHECK_SUFFIX = ".check.py"  # not test_*.py: pytest does not collect it; not package data: the wheel leaves it out


def checks_file(rule_file: Path) -> Path:
    """rules/memory/MEM001.yaml -> rules/memory/MEM001.check.py"""
    return rule_file.with_name(rule_file.stem + CHECK_SUFFIX)


def load_checks(path: Path) -> tuple[RuleCheck, ...]:
    """The checks a rule's check file defines, in its order; none when the rule has no such file."""
    import importlib.util

    if not path.is_file():
        return ()
    spec = importlib.util.spec_from_file_location(f"rule_checks_{path.name.split('.')[0]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own test code, beside our own rules
    return tuple(v for v in vars(module).values() if isinstance(v, RuleCheck))


def registered(own: tuple[RuleCheck, ...], strategy: str, framework: str) -> list[Check]:
    mine = [c for c in own if framework in c.frameworks]
    return mine if any(c.replaces for c in mine) else mine + _REGISTRY.get((strategy, framework), [])


def snapshot(framework: str, context: dict[str, Any]) -> dict[str, Any]:
    """What the probes compare against: the model's weights before the snippet ran."""
    model = context.get("model")
    if framework in ("pytorch", "lightning", "huggingface"):
        return {"weights": {n: p.detach().clone() for n, p in model.named_parameters()},
                "saturating": sum(type(m).__name__ in ("Sigmoid", "Tanh") for m in model.modules())}
    if framework == "keras":
        return {"weights": [np.array(w) for w in model.get_weights()]}
    return {}


def verify(run: Run, own: tuple[RuleCheck, ...]) -> list[str]:
    """Run the rule's own checks (`own`, from its check file), its strategy's and the probes."""
    for fn in registered(own, run.strategy, run.framework):
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


def keras_fitted_on(run: Run, labels: str) -> int:
    """The context's Keras model was fitted on the rows whose labels the snippet named `labels`; its steps per epoch."""
    model = trained_keras(run)
    steps = math.ceil(len(run.new(labels)) / 32)  # fit()'s default batch size
    assert model is run.context["model"] and model.history.params["steps"] == steps, model.history.params
    return steps


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


def lora_keras(run: Run) -> list[Any]:
    """Keras LoRA on `model` (layer.enable_lora): adapters on hidden layers only, each frozen base kernel unchanged,
    adapters trained, the head trainable. Returns the adapted layers."""
    import keras

    model = trained_keras(run)
    assert model is run.context["model"], "the adapters belong on your model"
    head, adapted = model.layers[-1], [layer for layer in model.layers if getattr(layer, "lora_enabled", False)]
    assert adapted and head not in adapted, "no hidden layer got adapters, or the head did"
    trainable = {id(w) for w in model.trainable_weights}
    for layer in adapted:
        base = keras.ops.convert_to_numpy(layer._kernel)
        assert id(layer._kernel) not in trainable, f"{layer.name}: the base kernel is still trainable"
        assert any(w.shape == base.shape and np.array_equal(w, base) for w in run.before["weights"]), \
            f"{layer.name}: the frozen base kernel changed"
        assert np.any(keras.ops.convert_to_numpy(layer.lora_kernel_b) != 0), f"{layer.name}: adapters untrained"
    assert id(head.kernel) in trainable
    return adapted


def recurrent_initialised(model) -> int:
    """Every LSTM/GRU: orthogonal recurrent matrix per gate, zero biases but the LSTM forget gate at 1; returns
    how many there are (0 for a model without one)."""
    import torch
    import torch.nn as nn

    found = 0
    for module in model.modules():
        if not isinstance(module, (nn.LSTM, nn.GRU)):
            continue
        found += 1
        gates, h = (4 if isinstance(module, nn.LSTM) else 3), module.hidden_size
        for name, param in module.named_parameters():
            if name.startswith("weight_hh"):
                for block in param.detach().chunk(gates):
                    assert torch.allclose(block @ block.T, torch.eye(h), atol=1e-4), f"{name}: a gate is not orthogonal"
            elif name.startswith("bias"):
                want = torch.zeros_like(param)
                if isinstance(module, nn.LSTM) and name.startswith("bias_ih"):
                    want[h:2 * h] = 1.0
                assert torch.equal(param.detach(), want), f"{name}: {param.detach()[: 2 * h]}"
    return found


def hf_trained(run: Run) -> None:
    trainer = trainer_of(run)
    assert trainer.state.global_step > 0, "the Trainer took no step"
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    losses += [h["train_loss"] for h in trainer.state.log_history if "train_loss" in h]
    assert losses and finite(losses), f"training losses {losses}"
    run.ok(f"trainer: {trainer.state.global_step} steps, finite loss")


def hf_predictions(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Labels and logits of the context model on the evaluation split, computed apart from the snippet."""
    import torch

    data = run.context["eval_dataset"]
    model = run.context["model"].eval()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(data["input_ids"]),
                       attention_mask=torch.tensor(data["attention_mask"])).logits
    return np.asarray(data["label"]), logits.numpy()


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


def _probe_lightning(run: Run) -> None:
    import lightning as L

    for name, value in run.ns.items():
        if isinstance(value, L.Trainer) and value.global_step > 0 and name == "trainer":
            trained_lightning(run, name)


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
    "lightning": (_probe_torch, _probe_lightning),
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


def balanced_draws(run: Run, shares: np.ndarray, what: str) -> None:
    if run.imbalanced:
        natural = run.counts[run.rarest] / sum(run.counts)
        assert shares[run.rarest] > 2 * natural, \
            f"{what}: rarest class drawn {shares[run.rarest]:.1%}, its natural share is {natural:.1%}"
        assert shares.max() / max(shares.min(), 1e-9) < 4, f"{what}: class shares {np.round(shares, 3)}"
    run.ok(f"{what} draws the classes evenly: {np.round(shares, 2).tolist()}")


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


def _micro_batch(run: Run) -> int | None:
    return run.facts.get("suggested_micro_batch")


@check("reduce-batch-size", "pytorch")
def accumulate_torch(run: Run) -> None:
    loader = loader_of(run, "loader")
    expected = _micro_batch(run) if run.rule in ("MEM003", "MEM004") else \
        max(1, (run.context["train_loader"].batch_size or 32) // 2)
    assert loader.batch_size == expected, (loader.batch_size, expected)
    assert run.new("accum_steps") >= 1
    assert torch_changed(run), "no optimizer step was taken"
    run.ok(f"micro-batch {loader.batch_size} x {run.new('accum_steps')} accumulation steps, weights updated")


@check("reduce-batch-size", "keras")
def accumulate_keras(run: Run) -> None:
    model = trained_keras(run)
    steps = model.optimizer.gradient_accumulation_steps
    expected = run.facts.get("grad_accum_steps") if run.rule in ("MEM003", "MEM004") else 2
    assert steps == expected, (steps, expected)
    run.ok(f"optimizer accumulates {steps} micro-batches")


@check("reduce-batch-size", "huggingface")
def accumulate_hf(run: Run) -> None:
    args = args_of(run)
    if run.rule in ("MEM003", "MEM004"):
        assert args.per_device_train_batch_size == _micro_batch(run)
        assert args.gradient_accumulation_steps == run.facts["grad_accum_steps"]
        hf_trained(run)
    elif run.rule == "MEM015":  # its snippet halves 32 into 16 x 2 (MEM020 checks the memory plan in its own file)
        assert args.gradient_accumulation_steps * args.per_device_train_batch_size >= 16
    run.ok(f"micro-batch {args.per_device_train_batch_size} x {args.gradient_accumulation_steps} steps")


def fit_lightning(run: Run, trainer) -> None:
    """Fit the user's LightningModule with the snippet's Trainer for one epoch (a snippet that only builds one)."""
    trainer.fit_loop.max_epochs = 1
    trainer.fit(run.context["lit_model"], train_dataloaders=run.context["train_loader"])
    assert torch_changed(run)


def lightning_fitted_on(run: Run, loader: str):
    """The Trainer the snippet fitted (trained_lightning) took its batches from the loader it named `loader`."""
    trainer = trained_lightning(run)
    assert trainer.train_dataloader.dataset is run.new(loader).dataset, f"not trained on the rows of {loader}"
    return trainer


def trained_lightning(run: Run, name: str = "trainer"):
    """The Lightning Trainer the snippet fitted: it took optimizer steps and its logged losses are finite."""
    import lightning as L

    trainer = run.new(name)
    assert isinstance(trainer, L.Trainer), f"no Lightning Trainer `{name}` was built"
    assert trainer.global_step > 0, "the Trainer took no optimizer step"
    logged = {k: float(v) for k, v in trainer.callback_metrics.items() if "loss" in k}
    assert logged and finite(list(logged.values())), f"logged losses {logged}"
    run.ok(f"lightning fit: {trainer.global_step} steps, finite {sorted(logged)}")
    return trainer


def fsdp_torch(run: Run) -> None:
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
    import contextlib
    import io

    import torch

    if run.rule == "STB021":  # forward hooks that name the first module giving inf/NaN
        model = run.context["model"]
        assert len(run.new("hooks")) == len(list(model.modules()))
        inputs, _ = torch_batch(run)
        first = next(model.parameters())
        kept = first.detach().clone()
        bad = inputs.float().clone() if inputs.is_floating_point() else inputs
        shown = io.StringIO()
        with contextlib.redirect_stdout(shown), torch.no_grad():
            if inputs.is_floating_point():
                bad[0] = float("inf")
            else:  # token ids: poison the first weight for this forward only
                first.fill_(float("inf"))
            model.eval()(bad)
            first.copy_(kept)
        assert "non-finite output in" in shown.getvalue(), shown.getvalue()[:300]
        run.ok("a non-finite activation is reported with its module: " + shown.getvalue().splitlines()[0])
        return

    model = run.new("model")
    assert all(p.dtype == torch.float32 for p in model.parameters()), "fp32 master weights"
    assert torch_changed(run, model) and finite(run.new("loss"))
    run.ok("fp32 master weights trained, loss finite")


@check("safer-precision", "keras")
def _safer_keras(run: Run) -> None:
    model = trained_keras(run)
    want = {"STB001": "float32", "STB002": "bfloat16", "STB003": "float32", "STB004": "bfloat16",
            "STB021": "float32", "STB022": "float16"}[run.rule]
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
    assert model.is_activation_checkpointing and model.config.use_cache is False
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
    long_text = " ".join(["w1"] * (max_len + 50))
    ids = run.new("tokenize")({"text": [long_text]})["input_ids"][0]
    assert len(ids) == max_len, f"a {max_len + 50}-word text gave {len(ids)} tokens, not {max_len}"
    data = run.new("short_train")
    lengths = [len(row["input_ids"]) for row in data]
    assert max(lengths) <= max_len and len(set(lengths)) > 1, "not truncated, or still padded to a fixed length"
    rows = [dict(data[i]) for i in range(4)]
    batch = run.new("collator")(rows)
    assert batch["input_ids"].shape[1] == max(len(r["input_ids"]) for r in rows), "not padded to the batch's longest"
    assert "labels" in batch or "label" in rows[0]
    run.ok(f"truncated to {max_len} tokens at tokenisation, padded per batch")
    hf_trained(run)


@check("reduce-sequence-length", "lightning")
def _short_lightning(run: Run) -> None:
    """The loader's collate cuts a long sample to max_len and pads a short one only to the batch's longest."""
    import torch

    max_len, collate = run.new("max_len"), run.new("truncate_collate")
    inputs, labels = collate([(torch.arange(1, max_len + 40), 1), (torch.arange(1, 6), 0)])
    assert tuple(inputs.shape) == (2, max_len), f"a {max_len + 39}-token sample came out as {tuple(inputs.shape)}"
    assert inputs[1, 5:].eq(0).all() and labels.tolist() == [1, 0], "the short sample is not zero-padded"
    inputs, _ = collate([(torch.arange(1, 6), 0), (torch.arange(1, 9), 1)])
    assert inputs.shape[1] == 8, f"padded to {inputs.shape[1]}, not to the longest sample (8)"
    trainer = trained_lightning(run)
    assert trainer.train_dataloader.collate_fn is collate, "the Trainer did not train on short_loader"
    run.ok(f"collate truncates to {max_len} and pads per batch; the Trainer trained on that loader")


@check("reduce-sequence-length", "keras")
def _short_keras(run: Run) -> None:
    max_len = run.new("max_len")
    cut = run.new("truncate")(np.ones((2, max_len + 9, 3), dtype="float32"))
    assert cut.shape == (2, max_len, 3), f"a {max_len + 9}-step sequence came out as {cut.shape}"
    out = np.asarray(run.new("out"))
    assert out.shape[1] == max_len and finite(out), out.shape
    trained_keras(run)
    run.ok(f"inputs cut to {max_len} steps; fused attention output finite")


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
    if run.rule == "GEN010":
        assert args_of(run).weight_decay == 0.0
        assert all(m.p == 0 for m in run.context["model"].modules() if type(m).__name__ == "Dropout")
        hf_trained(run)
        run.ok("dropout and weight decay off")
        return
    assert args_of(run).weight_decay == 0.05
    run.ok("weight_decay=0.05")


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


def _eval_mode_accuracy(run: Run) -> None:
    """REL007: the accuracy the snippet printed is the eval-mode accuracy, computed apart from it."""
    if run.framework == "keras":
        x, y = run.context["x_val"][:256], run.context["y_val"][:256]
        expected = float((run.context["model"].predict(x, verbose=0).argmax(-1) == y).mean())
    else:
        inputs, targets = torch_batch(run)
        expected = float((forward(run.context["model"], inputs).argmax(-1) == targets).float().mean())
    assert close(run.new("accuracy"), expected, rel=1e-5), (run.new("accuracy"), expected)
    run.ok(f"eval-mode accuracy {expected:.3f}, as computed independently")


@check("sanity-checks", "pytorch")
def _sanity_torch(run: Run) -> None:
    if run.rule == "REL007":
        _eval_mode_accuracy(run)
        return
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
    if run.rule == "REL007":
        _eval_mode_accuracy(run)
        return
    if run.rule == "STB014":
        assert "trainable:" in run.output and finite(run.new("val_loss"))
        run.ok("trainable share reported; evaluated in inference mode")
        return
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

    if run.rule == "REL006":
        results = run.new("results")
        assert len(results) == 3 and all(0 <= r <= 1 for r in results), results
        trained_keras(run)

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


def baseline(run: Run) -> None:
    numbers = [float(v) for v in __import__("re").findall(r"\b0?\.\d+|\b1\.0+\b", run.output)]
    assert numbers, run.output[-300:]
    run.ok("compared with an interpretable model")


# ------------------------------------------------------------------ architecture

@check("batch-normalization", "pytorch", "keras")
def blocks(run: Run) -> None:
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
    if run.rule in ("OPT001", "OPT002", "OPT004"):  # SGD with momentum for CNNs, else AdamW (OPT003: its own Adam)
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
    if run.rule != "OPT003":  # DCGAN's Adam: OPT003.check.py verifies it
        assert isinstance(model.optimizer, (keras.optimizers.AdamW, keras.optimizers.SGD))
    run.ok(f"compiled with {type(model.optimizer).__name__}")


@check("optimizer-choice", "huggingface")
def _optimizer_hf(run: Run) -> None:
    if run.rule not in ("OPT001", "OPT003"):  # SGD with momentum, DCGAN's Adam: their own check files
        assert args_of(run).weight_decay == 0.01 and "adamw" in getattr(args_of(run).optim, "value", "")
    hf_trained(run)


# ------------------------------------------------------------------ lightning (the Trainer's flags and hooks)

def _lit_optimizer_lr(trainer) -> float:
    return float(trainer.optimizers[0].param_groups[0].get("initial_lr", trainer.optimizers[0].param_groups[0]["lr"]))


@check("mixed-precision", "lightning")
@check("safer-precision", "lightning")
def _precision_lightning(run: Run) -> None:
    import torch

    trainer = trained_lightning(run)
    wanted = "bf16-mixed" if run.strategy == "mixed-precision" or run.rule in ("STB002", "STB004") else "32-true"
    assert trainer.precision == wanted, (trainer.precision, wanted)
    assert all(p.dtype == torch.float32 for p in run.context["model"].parameters()), "master weights must stay fp32"
    assert torch_changed(run)
    run.ok(f"Trainer(precision={trainer.precision!r}); fp32 master weights trained")


@check("gradient-clipping", "lightning")
def _clip_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    assert trainer.gradient_clip_val == 1.0 and str(trainer.gradient_clip_algorithm) in ("norm", "GradClipAlgorithmType.NORM")
    run.ok("gradient norm clipped at 1.0 by the Trainer")


@check("lr-reduction", "lightning")
def _lr_lightning(run: Run) -> None:
    import torch

    trainer = trained_lightning(run)
    if run.rule == "STB009":
        config = trainer.lr_scheduler_configs[0]
        assert isinstance(config.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau) and config.monitor == "val_loss"
        run.ok("ReduceLROnPlateau stepped on val_loss")
        return
    target = float(f"{run.facts['lr_typical']:.3g}")
    if run.rule == "STB008" and 1e-3 <= run.facts["lr_high"]:  # the context module's rate is inside the range
        assert close(_lit_optimizer_lr(trainer), 1e-3)
        run.ok("a learning rate within the usual range is left alone")
        return
    assert close(_lit_optimizer_lr(trainer), target), (_lit_optimizer_lr(trainer), target)
    run.ok(f"configure_optimizers built AdamW at the advised lr {target:.3g}")


@check("lr-warmup-schedule", "lightning")
def _warmup_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    config = trainer.lr_scheduler_configs[0]
    assert config.interval == "step"
    peak = float(f"{run.facts['lr_typical']:.3g}")
    lrs = [float(trainer.optimizers[0].param_groups[0]["lr"])]
    assert lrs[-1] < peak, "after the run the cosine decay should have brought the rate below its peak"
    run.ok(f"per-step warmup + cosine schedule over {trainer.estimated_stepping_batches} steps")


@check("early-stopping", "lightning")
def _early_lightning(run: Run) -> None:
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    trainer = trained_lightning(run)
    stop = [c for c in trainer.callbacks if isinstance(c, EarlyStopping)]
    best = [c for c in trainer.callbacks if isinstance(c, ModelCheckpoint) and c.monitor == "val_loss"]
    assert stop and stop[0].monitor == "val_loss" and best and best[0].best_model_path
    run.ok(f"early stopping on val_loss (patience {stop[0].patience}); best checkpoint kept")


@check("seed-control", "lightning")
def _seeds_lightning(run: Run) -> None:
    import torch

    trained_lightning(run)
    assert torch.are_deterministic_algorithms_enabled(), "Trainer(deterministic=True) sets deterministic kernels"
    run.ok("seed_everything(workers=True) and deterministic kernels")


@check("class-weighting", "lightning")
def _class_weights_lightning(run: Run) -> None:
    assert run.context["lit_model"].criterion is run.new("criterion"), "the LightningModule does not use the weighted loss"
    _class_weights_torch(run)
    trained_lightning(run)


@check("sanity-checks", "lightning")
def _sanity_lightning(run: Run) -> None:
    if run.rule == "REL007":
        assert finite(run.new("metrics")[0]["val_loss"]) and "val loss in eval mode" in run.output
        run.ok("validated in eval mode under no_grad")
        return
    if run.rule == "STB014":
        loss = run.new("metrics")[0]["val_loss"]
        assert "trainable:" in run.output and finite(loss) and run.context["lit_model"].training
        run.ok("trainable share reported; validation under no_grad, train mode restored")
        return
    trainer = trained_lightning(run)
    final = float(trainer.callback_metrics["train_loss"])
    assert trainer.overfit_batches == 1 and final < 0.5 * math.log(run.classes), f"one batch not overfitted: {final:.3f}"
    run.ok(f"one batch overfitted: loss {final:.3g} from about ln({run.classes})")


@check("reduce-batch-size", "lightning")
def _smaller_batch_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    loader = loader_of(run, "loader")
    if run.rule == "MEM003":  # the plan's micro-batch and steps
        expected = (_micro_batch(run), run.facts["grad_accum_steps"])
    else:  # halved, with the accumulation that keeps the batch the run was tuned for
        tuned = run.context["train_loader"].batch_size
        expected = (max(1, tuned // 2), tuned // max(1, tuned // 2))
    assert (loader.batch_size, trainer.accumulate_grad_batches) == expected, \
        ((loader.batch_size, trainer.accumulate_grad_batches), expected)
    run.ok(f"micro-batch {loader.batch_size} x {trainer.accumulate_grad_batches} accumulated batches")


@check("gradient-checkpointing", "keras")
def _checkpoint_keras(run: Run) -> None:
    model = trained_keras(run)
    assert model is run.new("rebuilt")
    weighted = [layer for layer in model.layers if layer.weights]
    assert weighted and all(layer._remat_mode is not None for layer in weighted), "layers are not rematerialised"
    run.ok(f"{len(weighted)} layer(s) recompute their activations in backward (RematScope)")


@check("gradient-checkpointing", "lightning")
def _checkpoint_lightning(run: Run) -> None:
    wrapped = [m for m in run.context["lit_model"].modules() if type(m).__name__ == "Checkpointed"]
    assert wrapped, "no block was wrapped for checkpointing"
    trained_lightning(run)
    before = list(run.before["weights"].values())  # wrapping renamed the parameters (body -> body.block)
    now = list(run.context["model"].parameters())
    assert any(not torch_equal(p, w) for p, w in zip(now, before)), "training changed no weight"
    run.ok(f"{len(wrapped)} checkpointed block(s) trained by the Trainer")


@check("memory-efficient-optimizer", "lightning")
def _optim8bit_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    optimizer = trainer.optimizers[0]
    assert type(optimizer).__name__ == "AdamW8bit", type(optimizer)
    assert all(finite(p) for p in run.context["model"].parameters())
    run.ok("configure_optimizers returned AdamW8bit; the Trainer stepped it")


@check("optimizer-choice", "lightning")
@check("regularization", "lightning")
def _param_groups_lightning(run: Run) -> None:
    import torch

    trainer = trained_lightning(run)
    if run.rule in ("OPT001", "OPT003"):  # SGD with momentum, DCGAN's Adam: their own check files
        return
    optimizer = trainer.optimizers[0]
    assert isinstance(optimizer, torch.optim.AdamW)
    grouped = [p for g in optimizer.param_groups for p in g["params"]]
    assert {id(p) for p in grouped} == {id(p) for p in run.context["lit_model"].parameters()}
    if run.rule == "GEN010":
        assert all(g["weight_decay"] == 0 for g in optimizer.param_groups)
        assert all(m.p == 0 for m in run.context["lit_model"].modules() if type(m).__name__ == "Dropout")
        run.ok("dropout and weight decay off")
        return
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] > 0 and no_decay["weight_decay"] == 0
    assert all(p.ndim >= 2 for p in decay["params"]) and all(p.ndim < 2 for p in no_decay["params"])
    run.ok(f"AdamW: weight decay {decay['weight_decay']} on matrices only")


@check("parameter-efficient-finetuning", "lightning")
def _lora_lightning(run: Run) -> None:
    from peft import PeftModel

    net = run.context["lit_model"].net
    assert isinstance(net, PeftModel), "the LightningModule does not wrap a PEFT model"
    trained_lightning(run)
    base = {n: p for n, p in net.named_parameters() if not p.requires_grad}
    trainable = [n for n, p in net.named_parameters() if p.requires_grad]
    assert base and any("lora_" in n for n in trainable)
    assert all("lora_" in n or "modules_to_save" in n for n in trainable), trainable[:5]
    before = run.before["weights"]
    frozen_same = [torch_equal(p, before[k]) for n, p in base.items()
                   for k in [n.replace("base_model.model.", "").replace(".base_layer", "")] if k in before]
    assert frozen_same and all(frozen_same), "the frozen base weights changed"
    run.ok(f"LoRA under Lightning: {len(trainable)} trainable tensors, {len(base)} frozen base tensors unchanged")


@check("error-analysis", "huggingface")
def _errors_hf(run: Run) -> None:
    y_true, logits = hf_predictions(run)
    expected = int((logits.argmax(-1) != y_true).sum())
    assert len(run.new("errors")) == expected, (len(run.new("errors")), expected)
    run.ok(f"{expected} misclassified evaluation samples, as counted independently")


@check("sanity-checks", "huggingface")
def _sanity_hf(run: Run) -> None:
    if run.rule in ("STB014", "REL007"):
        metrics = run.new("metrics")
        assert finite(metrics["eval_loss"])
        assert all(p.grad is None for p in run.context["model"].parameters()), "evaluation computed gradients"
        if run.rule == "STB014":
            assert "trainable:" in run.output
        run.ok("evaluated in eval mode under no_grad" + ("; trainable share printed" if run.rule == "STB014" else ""))
        return
    raise AssertionError(f"{run.rule}: no Hugging Face sanity check for this rule's snippet")


@check("error-analysis", "lightning")
def _errors_lightning(run: Run) -> None:
    run.framework = "pytorch"  # the same model and validation loader: count its errors independently
    try:
        _errors(run)
    finally:
        run.framework = "lightning"
