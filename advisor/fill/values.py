"""Recommended values for config keys: the one memory plan, and the facts and advice the engine computes.

The memory knobs (micro-batch, accumulation, precision, checkpointing, ZeRO
stage, offload, 8-bit optimizer) are not chosen one at a time: `Context.plan`
asks the planner once, with the knobs the config leaves `auto` free and the
values it sets as constraints, and every memory knob reads its value from that
one plan. The other knobs (learning rate, class weights, evaluation batch, data
workers, DeepSpeed's optimizer and scheduler values) are computed from the
setup's facts, the plan's settings and the config's own values.

Each knob also reads a value a user wrote (so "8" and 8 are the same) and says
when it disagrees with the advice.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable

from advisor.estimate import classmath, memory, planner
from advisor.facts import derive as facts_mod
from advisor.setup import fields, gpus, units


# Free knobs that are memory fixes: with one of them auto, a plan that cannot fit is an error, not a warning.
MEMORY_FIXES = frozenset({"micro_batch", "checkpointing", "zero_stage", "offload", "optimizer"})


class Missing(Exception):
    """The value cannot be derived for this setup; `needs` says what would let it be."""

    def __init__(self, needs: str) -> None:
        super().__init__(needs)
        self.needs = needs


def _flags(names: list[str] | tuple[str, ...]) -> str:
    """The flags and setup-file keys that would give these fields."""
    flags = {"model_params": "--model or --model-params (setup key model / model_params)",
             "gpu_mem_gib": "--gpu or --gpu-mem (setup key gpu / gpu_mem_gb)"}
    return "needs " + ", ".join(flags.get(n, f"{fields.BY_NAME[n].cli_flag} (setup key {fields.BY_NAME[n].key})")
                                for n in names)


# TrainingArguments' defaults, which the transformers DeepSpeed integration writes into a DeepSpeed config's
# `auto` values (integrations/deepspeed.py, HfTrainerDeepSpeedConfig.trainer_config_process:
# adam_beta1/adam_beta2 → optimizer.params.betas, adam_epsilon → eps, weight_decay, max_grad_norm →
# gradient_clipping, 0 → scheduler.params.warmup_min_lr, get_warmup_steps → warmup_num_steps).
HF_DEFAULTS = {"adam_beta1": 0.9, "adam_beta2": 0.999, "adam_epsilon": 1e-8, "weight_decay": 0.0,
               "max_grad_norm": 1.0, "warmup_ratio": 0.0, "warmup_steps": 0}


class Context:
    """One setup's facts, the one plan (computed on first use), and the config's own values."""

    def __init__(self, setup: dict[str, Any], *, free: frozenset[str] = frozenset(),
                 constraints: dict[str, Any] | None = None, siblings: dict[str, Any] | None = None) -> None:
        self.setup = dict(setup)
        self.free = free                          # planner knobs the config leaves auto
        constraints = dict(constraints or {})
        self.accum: int | None = constraints.pop("grad_accum", None)
        self.precisions: tuple[str, ...] | None = constraints.pop("precisions", None)
        self.setup.update(constraints)            # what the config sets is what will run
        self.siblings = siblings or {}            # the config's own values by key name (adam_beta1, warmup_ratio…)
        self.facts = facts_mod.derive(self.setup)
        self._plan: tuple[Any, Any] | None = None
        self.notes: list[str] = []                # assumptions behind the filled values, for the summary
        self.warnings: list[str] = []             # what the user should know about the filled values

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def fact(self, name: str) -> Any:
        if name in self.facts:
            return self.facts[name]
        missing = sorted(facts_mod.SPECS[name].requires - self.setup.keys())
        raise Missing(_flags(missing))

    def can_plan(self) -> bool:
        return memory.architecture_for(self.setup) is not None and "gpu_mem_gib" in self.setup

    def plan(self):
        """(workload, plan) over the free knobs; Missing names what the plan needs or why none fits."""
        if self._plan is None:
            needs = [n for n, ok in (("model_params", memory.architecture_for(self.setup) is not None),
                                     ("gpu_mem_gib", "gpu_mem_gib" in self.setup)) if not ok]
            if needs:
                raise Missing(_flags(needs))
            w, p = planner.plan_setup(self.setup, free=self.free, accum=self.accum, precisions=self.precisions)
            if not p.final_fits:
                need = p.steps[-1].setting.get("min_gpu_mem_gib")
                if self.free & MEMORY_FIXES:  # asked to make it fit, and nothing within the config's reach does
                    raise Missing(f"cannot be filled: no setting of the config's auto values fits on this GPU "
                                  f"(it would take a card of {need} GB; `advisor memory` shows the closest plan)")
                self.warnings.append(f"the run does not fit with the values this config sets: estimated "
                                     f"{p.final.peak:.1f} GiB per GPU against {p.limit_gib:.1f} GiB (a card of {need} "
                                     f"GB would do; `advisor memory` shows the cheapest changes)")
            for text in (*planner.assumptions(p.final, self.free), *p.notes):
                self.note(text)
            self._plan = (w, p)
        return self._plan

    @property
    def planned(self) -> planner.Settings | None:
        """The plan's settings when a value asked for them, else None."""
        return None if self._plan is None else self._plan[1].settings

    @property
    def settings(self) -> planner.Settings:
        return self.plan()[1].settings

    def precision(self) -> str:
        """The plan's precision; without a model to plan for, the card's best (the same rule the planner uses)."""
        if self.can_plan():
            return self.settings.precision
        card = gpus.card(self.setup["gpu"]) if "gpu" in self.setup else None
        best = planner.precision_for(None if card is None else card.bf16, set(self.setup.get("symptoms", ())))
        if best is not None and (self.precisions is None or best in self.precisions):
            return best
        if best is not None and "fp32" in self.precisions:
            return "fp32"  # the card's best is one this config cannot say
        if "precision" in self.setup:
            return self.setup["precision"]
        raise Missing(_flags(["gpu"]) + " or --precision (setup key precision)")

    def sibling(self, key: str) -> Any:
        """The config's own value of a TrainingArguments key, else its default (noted as assumed)."""
        if key in self.siblings:
            return self.siblings[key]
        self.note(f"{key} {HF_DEFAULTS[key]:g} (TrainingArguments' default, as the transformers DeepSpeed "
                  f"integration fills it)")
        return HF_DEFAULTS[key]


# ------------------------------------------------------------------ reading user values

def _as_int(raw: Any) -> int:
    return units.parse_count(raw, minimum=0)


def _as_bool(raw: Any) -> bool:
    return units.parse_bool(raw)


def _as_float(raw: Any) -> float:
    return units.parse_positive_float(raw, what="number")


def _as_number(raw: Any) -> float:
    """A number ≥ 0 (weight decay and warmup_min_lr are often 0)."""
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{raw!r} is not a number ≥ 0")
    return value


def _as_floats(raw: Any) -> list[float]:
    items = raw.replace(",", " ").split() if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{raw!r} is not a list of numbers")
    return [_as_float(x) for x in items]


def _as_text(raw: Any) -> str:
    return str(raw).strip().lower()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.01)


def _round4(x: float) -> float:
    return float(f"{x:.4g}")


# ------------------------------------------------------------------ knobs

@dataclass(frozen=True)
class Knob:
    name: str
    read: Callable[[Any], Any]
    compute: Callable[[Context], Any]
    agrees: Callable[[Any, Any, Context], bool]
    reason: Callable[[Any, Context], str]  # why the recommended value, for disagreement messages
    plans: str | None = None               # the planner knob this key decides (None: not a memory knob)
    # what a value the user set means for the plan: {setup field: value}, or {"grad_accum": n} / {"precisions": …}
    constrain: Callable[[Any], dict[str, Any]] | None = None
    expresses: tuple[str, ...] | None = None  # a precision key that can say only these (torchtune: bf16, fp32)


def _same(user: Any, rec: Any, ctx: Context) -> bool:
    return user == rec


def _floats_agree(user: Any, rec: Any, ctx: Context) -> bool:
    user_list, rec_list = (user if isinstance(user, list) else [user]), (rec if isinstance(rec, list) else [rec])
    return len(user_list) == len(rec_list) and all(_close(a, b) for a, b in zip(user_list, rec_list))


def _plan_reason(rec: Any, ctx: Context) -> str:
    s = ctx.settings
    return (f"the plan that fits: micro-batch {s.micro_batch} × accumulation {s.grad_accum} × {s.gpu_count} GPU(s), "
            f"{s.precision}, checkpointing {'on' if s.checkpointing else 'off'}, ZeRO {s.zero_stage}")


def _grad_accum(ctx: Context) -> int:
    if ctx.can_plan():
        return ctx.settings.grad_accum
    micro = ctx.setup.get("batch_size")
    if micro is None:
        raise Missing(_flags(["model_params", "gpu_mem_gib"]) + " (to choose the micro-batch it multiplies)")
    b, notes = planner.batches(micro, ctx.setup.get("gpu_count", 1), ctx.setup.get("global_batch_size"), ctx.accum,
                               ctx.free)
    for text in notes:
        ctx.note(text)
    return planner.accumulation(micro, b)


def _global_batch(ctx: Context) -> int:
    micro = ctx.settings.micro_batch if ctx.can_plan() else ctx.setup.get("batch_size")
    if micro is None:
        raise Missing(_flags(["model_params", "gpu_mem_gib"]))
    if "gpu_count" not in ctx.setup:
        ctx.note("1 GPU (give --gpus; train_batch_size = micro-batch × accumulation × GPUs)")
    return micro * _grad_accum(ctx) * ctx.setup.get("gpu_count", 1)


def _precision_reason(rec: Any, ctx: Context) -> str:
    card = ctx.setup.get("gpu", "the card")
    p = ctx.precision()
    if p == "bf16":
        return f"{card} supports bf16, which has fp32's range: no loss scaling, no fp16 overflow"
    if p == "fp32":
        return f"{card} has no bf16 and fp16 already overflows here (NaN / diverging loss)"
    return f"{card} has no native bf16; fp16 mixed precision with loss scaling"


def _lightning_precision(value: Any) -> str:
    text = _as_text(value)
    aliases = {"16": "16-mixed", "fp16": "16-mixed", "16-mixed": "16-mixed", "bf16": "bf16-mixed",
               "bf16-mixed": "bf16-mixed", "bf16-true": "bf16-true", "32": "32-true", "32-true": "32-true",
               "fp32": "32-true", "16-true": "16-true", "64": "64-true", "64-true": "64-true",
               "transformer-engine": "transformer-engine"}
    if text not in aliases:
        raise ValueError(f"{value!r} is not a Lightning precision")
    return aliases[text]


_LIGHTNING = {"bf16": "bf16-mixed", "bf16-pure": "bf16-true", "fp16": "16-mixed", "fp32": "32-true"}
_LIGHTNING_BACK = {"bf16-mixed": "bf16", "bf16-true": "bf16-pure", "16-mixed": "fp16", "16-true": "fp16",
                   "32-true": "fp32", "64-true": "fp32"}
_ACCELERATE = {"bf16": "bf16", "bf16-pure": "bf16", "fp16": "fp16", "fp32": "no"}


def _torchtune_dtype(raw: Any) -> str:
    text = _as_text(raw)
    if text not in ("bf16", "fp32"):
        raise ValueError(f"{raw!r} is not a torchtune dtype (bf16 or fp32)")
    return text


def _lr(ctx: Context) -> float:
    if not {"fine_tuning", "pretrained"} & ctx.setup.keys():
        raise Missing("needs --fine-tuning or --pretrained (setup key fine_tuning / pretrained)")
    lr = ctx.setup.get("lr")
    if lr is not None and ctx.facts["lr_low"] <= lr <= ctx.facts["lr_high"]:
        return lr  # the setup's own rate is within the usual range: keep what the user runs
    return ctx.facts["lr_typical"]


def _counts(ctx: Context) -> list[int]:
    if "class_counts" not in ctx.setup:
        raise Missing(_flags(["class_counts"]) + " (--imbalance does not say which class is which)")
    return list(ctx.setup["class_counts"])


def _class_weights(ctx: Context) -> list[float]:
    return [_round4(w) for w in classmath.balanced_weights(_counts(ctx))]


def _pos_weight(ctx: Context) -> float | list[float]:
    if "class_counts" in ctx.setup:
        counts = _counts(ctx)
        weights = [_round4(w) for w in classmath.pos_weights(counts)]
        return weights[1] if len(counts) == 2 else weights  # binary: class 1 is the positive
    if "class_ratio" not in ctx.setup:
        raise Missing("needs --imbalance or --class-counts (setup key class_ratio / class_counts)")
    return _round4(ctx.facts["pos_weight"])  # the minority is the positive class


def _pos_read(raw: Any) -> float | list[float]:
    return _as_floats(raw) if isinstance(raw, list) else _as_float(raw)


def _eval_batch(ctx: Context) -> int:
    w, _ = ctx.plan()
    s = ctx.settings
    trained = w.with_(precision=s.precision, checkpointing=s.checkpointing, optimizer=s.optimizer,
                      zero_stage=s.zero_stage, offload=s.offload, fine_tuning=s.fine_tuning)
    batch = planner.eval_batch(trained, ctx.setup["gpu_mem_gib"])
    if batch == 0:
        raise Missing("cannot be filled: not even one evaluation sample fits beside the training states")
    return batch


def _num_workers(ctx: Context) -> int:
    """Lightning's suggested_max_num_workers: CPU cores per GPU process, less one for the main process
    (lightning/fabric/utilities/data.py: max(1, cpu_count // local_world_size - 1))."""
    cores = ctx.setup.get("cpu_cores")
    if cores is None:
        cores = os.cpu_count() or 1
        ctx.note(f"{cores} CPU cores (os.cpu_count() on this machine; give --cpu-cores for the training machine)")
    return max(1, cores // ctx.setup.get("gpu_count", 1) - 1)


def _warmup_steps(ctx: Context) -> int:
    """TrainingArguments.get_warmup_steps: warmup_steps when > 0, else ceil(total × warmup_ratio)."""
    steps, ratio = ctx.sibling("warmup_steps"), ctx.sibling("warmup_ratio")
    if steps or not ratio:
        return int(steps)
    return math.ceil(_total_steps(ctx) * ratio)


def _total_steps(ctx: Context) -> int:
    needs = [n for n in ("dataset_size", "epochs") if n not in ctx.setup]
    if needs:
        raise Missing(_flags(needs) + " (total steps = epochs × dataset / global batch)")
    return ctx.setup["epochs"] * math.ceil(ctx.setup["dataset_size"] / _global_batch(ctx))


def _hidden(ctx: Context) -> int:
    """The model's hidden size, for the DeepSpeed bucket sizes the transformers integration derives from it
    (trainer_config_finalize: reduce_bucket_size h², stage3_prefetch_bucket_size int(0.9·h²),
    stage3_param_persistence_threshold 10·h)."""
    arch = memory.architecture_for(ctx.setup)
    if arch is None or not arch.hidden:
        raise Missing(_flags(["model_params"]) + " (the bucket sizes follow its hidden size)")
    if arch.rough:
        ctx.note(f"hidden size {arch.hidden} guessed from the parameter count (give --model for the real one)")
    return arch.hidden


def _optim_name(family_8bit: str, plain: str) -> Callable[[Context], str]:
    return lambda ctx: family_8bit if ctx.settings.optimizer == "adamw-8bit" else plain


def _optim_read(raw: Any) -> str:
    return _as_text(raw)


def _optim_constrain(raw: str) -> dict[str, Any]:
    return {"optimizer": "adamw-8bit" if "8bit" in raw else "adamw" if "adam" in raw else "other"}


def _precision_constrain(name: str) -> Callable[[Any], dict[str, Any]]:
    """A precision flag the user set: true fixes the precision, false rules that one out."""
    def constrain(on: bool) -> dict[str, Any]:
        if on:
            return {"precision": name, "precisions": (name,)}
        return {"precisions": tuple(p for p in ("bf16", "fp16", "fp32") if p != name)}
    return constrain


def _flag_knob(name: str) -> Knob:
    return Knob(name, _as_bool, lambda ctx: ctx.precision() == name, _same, _precision_reason, plans="precision",
                constrain=_precision_constrain(name))


def _fixed(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda value: {name: value}


# Filled in this order, so the knobs that read others find them computed.
KNOBS: dict[str, Knob] = {k.name: k for k in (
    Knob("micro_batch", _as_int, lambda ctx: ctx.settings.micro_batch, _same, _plan_reason, plans="micro_batch",
         constrain=_fixed("batch_size")),
    Knob("grad_accum", _as_int, _grad_accum, _same, _plan_reason, plans="grad_accum",
         constrain=_fixed("grad_accum")),
    Knob("global_batch", _as_int, _global_batch, _same,
         lambda rec, ctx: "DeepSpeed requires micro-batch × accumulation × GPUs",
         constrain=_fixed("global_batch_size")),
    Knob("eval_micro_batch", _as_int, _eval_batch, lambda user, rec, ctx: user <= rec,
         lambda rec, ctx: f"at most {rec} fits beside the training states (no gradients, no activations kept)"),
    _flag_knob("fp16"),
    _flag_knob("bf16"),
    Knob("tf32", _as_bool, lambda ctx: ctx.fact("bf16_supported"),
         lambda user, rec, ctx: rec or not user,
         lambda rec, ctx: f"{ctx.setup.get('gpu')} {'has' if rec else 'has no'} TF32 tensor cores"),
    Knob("precision", lambda raw: fields.BY_NAME["precision"].parse(raw), lambda ctx: ctx.precision(),
         lambda user, rec, ctx: user == rec or (rec == "bf16" and user == "bf16-pure"), _precision_reason,
         plans="precision", constrain=lambda v: {"precision": v, "precisions": (v,)}),
    Knob("lightning_precision", _lightning_precision, lambda ctx: _LIGHTNING[ctx.precision()],
         lambda user, rec, ctx: _LIGHTNING_BACK.get(user, user) == _LIGHTNING_BACK.get(rec, rec), _precision_reason,
         plans="precision", constrain=lambda v: {"precision": _LIGHTNING_BACK.get(v, "fp32"),
                                                 "precisions": (_LIGHTNING_BACK.get(v, "fp32"),)}),
    Knob("accelerate_precision", _as_text, lambda ctx: _ACCELERATE[ctx.precision()], _same, _precision_reason,
         plans="precision", constrain=lambda v: {"precision": {"no": "fp32"}.get(v, v),
                                                 "precisions": ({"no": "fp32"}.get(v, v),)}),
    Knob("torchtune_dtype", _torchtune_dtype, lambda ctx: "fp32" if ctx.precision() == "fp32" else "bf16", _same,
         _precision_reason, plans="precision", constrain=lambda v: {"precision": v, "precisions": (v,)},
         expresses=("bf16", "fp32")),  # torchtune's recipes train in bf16 or fp32, never fp16
    Knob("gradient_checkpointing", _as_bool, lambda ctx: ctx.settings.checkpointing, _same, _plan_reason,
         plans="checkpointing", constrain=_fixed("gradient_checkpointing")),
    Knob("zero_stage", _as_int, lambda ctx: ctx.settings.zero_stage, _same, _plan_reason, plans="zero_stage",
         constrain=_fixed("zero_stage")),
    Knob("offload_device", _as_text, lambda ctx: "cpu" if ctx.settings.offload != "none" else "none", _same,
         _plan_reason, plans="offload", constrain=lambda v: {"offload": "none" if v == "none" else "optimizer"}),
    Knob("hf_optim", _optim_read, _optim_name("adamw_bnb_8bit", "adamw_torch"),
         lambda user, rec, ctx: ("8bit" in user) == ("8bit" in rec), _plan_reason, plans="optimizer",
         constrain=_optim_constrain),
    Knob("learning_rate", _as_float, _lr,
         lambda user, rec, ctx: ctx.facts["lr_low"] <= user <= ctx.facts["lr_high"],
         lambda rec, ctx: f"usual range {ctx.facts['lr_low']:g}..{ctx.facts['lr_high']:g} for this run"),
    Knob("class_weights", _as_floats, _class_weights, _floats_agree,
         lambda rec, ctx: f"balanced n / (k · n_class) for class counts "
                          f"{fields.BY_NAME['class_counts'].plain(ctx.setup['class_counts'])}"),
    Knob("pos_weight", _pos_read, _pos_weight, _floats_agree, lambda rec, ctx: "negatives / positives"),
    Knob("num_workers", _as_int, _num_workers, lambda user, rec, ctx: user <= rec + 1,
         lambda rec, ctx: "more workers than CPU cores per GPU process compete with the training process"),
    Knob("ds_betas", _as_floats, lambda ctx: [ctx.sibling("adam_beta1"), ctx.sibling("adam_beta2")], _floats_agree,
         lambda rec, ctx: "TrainingArguments adam_beta1/adam_beta2"),
    Knob("ds_eps", _as_float, lambda ctx: ctx.sibling("adam_epsilon"), _floats_agree,
         lambda rec, ctx: "TrainingArguments adam_epsilon"),
    Knob("ds_weight_decay", _as_number, lambda ctx: ctx.sibling("weight_decay"), _floats_agree,
         lambda rec, ctx: "TrainingArguments weight_decay"),
    Knob("ds_clipping", _as_number, lambda ctx: ctx.sibling("max_grad_norm"), _floats_agree,
         lambda rec, ctx: "TrainingArguments max_grad_norm"),
    Knob("ds_warmup_min_lr", _as_number, lambda ctx: 0, _floats_agree,
         lambda rec, ctx: "the transformers integration starts warmup at 0"),
    Knob("ds_warmup_steps", _as_int, _warmup_steps, _same,
         lambda rec, ctx: "TrainingArguments.get_warmup_steps"),
    Knob("ds_total_steps", _as_int, _total_steps, _same,
         lambda rec, ctx: "epochs × ceil(dataset / global batch)"),
    Knob("ds_reduce_bucket", _as_int, lambda ctx: _hidden(ctx) ** 2, lambda user, rec, ctx: True,
         lambda rec, ctx: "hidden size squared"),
    Knob("ds_prefetch_bucket", _as_int, lambda ctx: int(0.9 * _hidden(ctx) ** 2), lambda user, rec, ctx: True,
         lambda rec, ctx: "0.9 × hidden size squared"),
    Knob("ds_persistence", _as_int, lambda ctx: 10 * _hidden(ctx), lambda user, rec, ctx: True,
         lambda rec, ctx: "10 × hidden size"),
)}

# The TrainingArguments keys a config's own values are read from for the DeepSpeed knobs.
SIBLINGS = tuple(HF_DEFAULTS)


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)
