"""Recommended values for config keys, taken from the facts and advice the engine computes.

Each knob knows how to compute its value for a setup (or which setup flags it
still needs), how to read a value a user wrote (so "8" and 8 are the same),
and when a user's value disagrees with the advice. Knobs that depend on
each other read the file's own values: gradient accumulation is rescaled to
the micro-batch the file ends up with, so the effective batch stays the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from advisor.facts import derive as facts_mod
from advisor.estimate import classmath
from advisor.setup import fields, units


class Missing(Exception):
    """The value cannot be derived for this setup; `needs` says what would let it be."""

    def __init__(self, needs: str) -> None:
        super().__init__(needs)
        self.needs = needs


class Context:
    """One setup's facts, the fired strategies (computed on first use), and the file's resolved values."""

    def __init__(self, setup: dict[str, Any], rule_paths: list | tuple = ()) -> None:
        self.setup = setup
        self.facts = facts_mod.derive(setup)
        self._rule_paths = list(rule_paths)
        self._strategies: set[str] | None = None
        self.file: dict[str, Any] = {}  # knob -> the value the filled file holds

    @property
    def strategies(self) -> set[str]:
        if self._strategies is None:
            from advisor import pipeline

            advice = pipeline.advise(self.setup, rules=self._rule_paths).report["advice"]
            self._strategies = {item["strategy"] for item in advice}
        return self._strategies

    def fact(self, name: str) -> Any:
        if name in self.facts:
            return self.facts[name]
        missing = sorted(facts_mod.SPECS[name].requires - self.setup.keys())
        raise Missing(_flags(missing))


def _flags(names: list[str] | tuple[str, ...]) -> str:
    flags = {"model_params": "--model-params (or --model)", "gpu_mem_gb": "--gpu-mem (or --gpu)"}
    return "needs " + ", ".join(flags.get(n, fields.BY_NAME[n].cli_flag) for n in names)


# ------------------------------------------------------------------ reading user values

def _as_int(raw: Any) -> int:
    return units.parse_count(raw, minimum=0)


def _as_bool(raw: Any) -> bool:
    return units.parse_bool(raw)


def _as_float(raw: Any) -> float:
    return units.parse_positive_float(raw, what="number")


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


def _micro_batch(ctx: Context) -> int:
    largest = ctx.fact("max_micro_batch")
    if largest == 0:
        raise Missing("cannot be filled: not even one sample fits on this GPU; apply the memory advice first "
                      "(advisor memory: --gradient-checkpointing, --zero-stage, --fine-tuning lora …)")
    return ctx.facts.get("suggested_micro_batch", largest)


def _micro_agrees(user: int, rec: int, ctx: Context) -> bool:
    largest = ctx.facts.get("max_micro_batch")
    return largest is None or user <= largest


def _grad_accum(ctx: Context) -> int:
    if "batch_size" not in ctx.setup:
        raise Missing(_flags(["batch_size"]) + " (the per-device batch the accumulation should add up to)")
    micro = ctx.file.get("micro_batch") or _micro_batch(ctx)
    return max(1, math.ceil(ctx.setup["batch_size"] / micro))


def _global_batch(ctx: Context) -> int:
    if "gpu_count" not in ctx.setup:
        raise Missing(_flags(["gpu_count"]) + " (train_batch_size = micro-batch × accumulation × GPUs)")
    micro = ctx.file.get("micro_batch") or _micro_batch(ctx)
    accum = ctx.file.get("grad_accum") or _grad_accum(ctx)
    return micro * accum * ctx.setup["gpu_count"]


def _precision_reason(rec: Any, ctx: Context) -> str:
    card = ctx.setup.get("gpu")
    if ctx.facts.get("recommended_precision") == "bf16":
        return f"{card} supports bf16, which has fp32's range: no loss scaling, no fp16 overflow"
    if ctx.facts.get("recommended_precision") == "fp32":
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


_LIGHTNING_OK = {"bf16": {"bf16-mixed", "bf16-true"}, "fp16": {"16-mixed"}, "fp32": {"32-true", "64-true"}}


def _lr(ctx: Context) -> float:
    if not {"fine_tuning", "pretrained"} & ctx.setup.keys():
        raise Missing("needs --fine-tuning or --pretrained (they decide the learning-rate range)")
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
        raise Missing("needs --imbalance or --class-counts")
    return _round4(ctx.facts["pos_weight"])  # the minority is the positive class


def _same(user: Any, rec: Any, ctx: Context) -> bool:
    return user == rec


def _floats_agree(user: Any, rec: Any, ctx: Context) -> bool:
    user_list, rec_list = (user if isinstance(user, list) else [user]), (rec if isinstance(rec, list) else [rec])
    return len(user_list) == len(rec_list) and all(_close(a, b) for a, b in zip(user_list, rec_list))


def _gc(ctx: Context) -> bool:
    ctx.fact("est_peak_gib")
    ctx.fact("usable_gpu_gib")
    return ctx.setup.get("gradient_checkpointing") is True or "gradient-checkpointing" in ctx.strategies


def _pos_read(raw: Any) -> float | list[float]:
    return _as_floats(raw) if isinstance(raw, list) else _as_float(raw)


def _rec_precision(ctx: Context) -> str:
    return ctx.fact("recommended_precision")


# In dependency order: fill_text fills autos in this order, so accumulation sees the micro-batch.
KNOBS: dict[str, Knob] = {k.name: k for k in (
    Knob("micro_batch", _as_int, _micro_batch, _micro_agrees,
         lambda rec, ctx: f"at most {ctx.facts.get('max_micro_batch', rec)} fits with a 10% margin "
                          f"(estimated {ctx.facts.get('est_peak_gib', 0):.1f} GiB at the setup's batch)"),
    Knob("eval_micro_batch", _as_int, _micro_batch, _micro_agrees,  # no gradients: the training micro-batch fits
         lambda rec, ctx: f"at most {ctx.facts.get('max_micro_batch', rec)} fits with a 10% margin"),
    Knob("grad_accum", _as_int, _grad_accum, _same,
         lambda rec, ctx: f"{ctx.setup.get('batch_size')} per device / micro-batch "
                          f"{ctx.file.get('micro_batch') or ctx.facts.get('suggested_micro_batch')}"),
    Knob("global_batch", _as_int, _global_batch, _same,
         lambda rec, ctx: "DeepSpeed requires micro-batch × accumulation × GPUs"),
    Knob("fp16", _as_bool, lambda ctx: _rec_precision(ctx) == "fp16", _same, _precision_reason),
    Knob("bf16", _as_bool, lambda ctx: _rec_precision(ctx) == "bf16", _same, _precision_reason),
    Knob("tf32", _as_bool, lambda ctx: ctx.fact("bf16_supported"),
         lambda user, rec, ctx: rec or not user,
         lambda rec, ctx: f"{ctx.setup.get('gpu')} {'has' if rec else 'has no'} TF32 tensor cores"),
    Knob("precision", lambda raw: fields.BY_NAME["precision"].parse(raw), _rec_precision,
         lambda user, rec, ctx: user == rec or (rec == "bf16" and user == "bf16-pure"), _precision_reason),
    Knob("lightning_precision", _lightning_precision,
         lambda ctx: {"bf16": "bf16-mixed", "fp16": "16-mixed", "fp32": "32-true"}[_rec_precision(ctx)],
         lambda user, rec, ctx: user in _LIGHTNING_OK[ctx.facts["recommended_precision"]], _precision_reason),
    Knob("accelerate_precision", _as_text,
         lambda ctx: {"bf16": "bf16", "fp16": "fp16", "fp32": "no"}[_rec_precision(ctx)], _same, _precision_reason),
    Knob("gradient_checkpointing", _as_bool, _gc, lambda user, rec, ctx: user or not rec,
         lambda rec, ctx: f"activations do not fit: estimated peak {ctx.facts.get('est_peak_gib', 0):.1f} GiB "
                          f"vs {ctx.facts.get('usable_gpu_gib', 0):.1f} GiB usable"),
    Knob("learning_rate", _as_float, _lr,
         lambda user, rec, ctx: ctx.facts["lr_low"] <= user <= ctx.facts["lr_high"],
         lambda rec, ctx: f"usual range {ctx.facts['lr_low']:g}..{ctx.facts['lr_high']:g} for this run"),
    Knob("class_weights", _as_floats, _class_weights, _floats_agree,
         lambda rec, ctx: f"balanced n / (k · n_class) for class counts "
                          f"{fields.BY_NAME['class_counts'].plain(ctx.setup['class_counts'])}"),
    Knob("pos_weight", _pos_read, _pos_weight, _floats_agree,
         lambda rec, ctx: "negatives / positives"),
    Knob("zero_stage", _as_int, lambda ctx: ctx.fact("recommended_zero_stage"),
         lambda user, rec, ctx: user >= rec,
         lambda rec, ctx: f"ZeRO stage {rec} is the smallest that fits on {ctx.setup.get('gpu_count', 1)} GPU(s)"),
)}


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)
