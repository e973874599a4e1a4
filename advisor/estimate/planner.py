"""The one plan: the cheapest consistent settings that make a run fit in GPU memory, with each step's estimate.

One search serves every caller: `advisor memory` prints its steps, `advisor fill`
writes its settings into a config, and the out-of-memory advice quotes it. The
caller says which knobs are free (`FREE`: all of them for `memory`; for `fill`
the ones the config leaves `auto`); every other knob keeps the setup's value.

The search tries every combination of the free knobs, keeps those whose
estimated peak stays under the card's visible memory less a safety margin (10%
by default: batch-size finders' users report that the "largest batch that fits"
later runs out of memory), and picks the one that costs least. Costs put a
number on what each change gives up — speed or accuracy — in this order:

| change | cost | what it gives up |
|---|---|---|
| bf16 mixed precision (card with bf16) | 0 | nothing on Ampere+; faster on tensor cores |
| fp16 mixed precision (card without bf16) | 0 (0.5 from a stated fp32 on an unknown card) | loss scaling |
| fp32 where a mixed precision is available | 0.5 | speed: no tensor-core math |
| ZeRO-1 / ZeRO-2 over the GPUs you have | 0.5 / 1 | none: same traffic as DDP (ZeRO paper §7) |
| smaller micro-batch (+ accumulation) | 1 + 0.5 per halving | throughput once the GPU is under-filled |
| 8-bit AdamW | 2 | next to nothing (Dettmers et al. 2022) |
| gradient checkpointing | 2.5 | ~30% more compute: one extra forward |
| ZeRO-3 / FSDP full sharding | 3 | 1.5× the communication of DDP |
| LoRA (fine-tuning a pretrained model) | 5 | some accuracy on hard tasks; fewer trainable weights |
| QLoRA | 6 | LoRA's, plus 4-bit rounding and ~40% slower steps |
| offload optimizer states to CPU | 6.5 | optimizer step on CPU: much slower |
| offload weights too (ZeRO-Infinity) | 8 | slowest; PCIe-bound |

Costs add up, so one fix that suffices always beats two. Ties go to the lower peak.

Batches: `batch_size` is the per-device micro-batch the setup runs now;
`global_batch_size` is the samples per optimizer step a team wants over all
GPUs. With a global batch the plan splits it into micro-batch × accumulation ×
GPUs exactly (the micro-batch a divisor of the per-device share); without one,
accumulation is 1 and the plan says so.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from advisor.setup import gpus
from advisor.estimate import memory
from advisor.estimate.memory import Estimate, Workload

# The knobs a plan may change; a caller frees some of them.
FREE = frozenset({"micro_batch", "grad_accum", "precision", "checkpointing", "optimizer", "zero_stage", "offload",
                  "fine_tuning"})
# Largest micro-batch tried when nothing bounds it (the facts' max_micro_batch uses the same cap).
MICRO_CAP = 1024
# Symptoms under which fp16 is ruled out (fp16 overflow shows as these); facts.derive's recommended_precision
# reads the same set.
FP16_TROUBLE = frozenset({"nan-loss", "diverging-loss", "exploding-gradients", "unstable-training"})


class Step(NamedTuple):
    change: str
    strategy: str
    title: str
    setting: dict[str, Any]
    cost: float
    peak_gib: float
    delta_gib: float
    fits: bool
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"change": self.change, "strategy": self.strategy, "title": self.title, "setting": self.setting,
                "cost": self.cost, "peak_gib": round(self.peak_gib, 2), "delta_gib": round(self.delta_gib, 2),
                "fits": self.fits, "why": self.why}


class Settings(NamedTuple):
    """Every value of the plan: what `fill` writes and `memory` prints as `settings`."""

    micro_batch: int
    grad_accum: int
    gpu_count: int
    precision: str
    checkpointing: bool
    optimizer: str
    zero_stage: int
    offload: str
    fine_tuning: str

    @property
    def global_batch(self) -> int:
        return self.micro_batch * self.grad_accum * self.gpu_count

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "global_batch": self.global_batch}


@dataclass
class Plan:
    baseline: Estimate
    limit_gib: float
    visible_gib: float
    fits: bool                    # the run as described stays within the card's visible memory
    fits_with_margin: bool        # ... and keeps the safety margin free
    steps: list[Step] = field(default_factory=list)
    final: Estimate | None = None
    final_fits: bool = False
    max_micro_batch: int = 0
    settings: Settings | None = None
    notes: list[str] = field(default_factory=list)   # the plan's own assumptions (batch target, precision)


class Batches(NamedTuple):
    """What bounds the micro-batch: the per-device share of a global batch, or the setup's micro-batch."""

    target: int | None            # samples per device per optimizer step wanted (None: not given)
    global_batch: int | None      # the global batch asked for
    accum: int | None = None      # accumulation fixed by the caller (a value the config sets)


def batches(batch: int, gpu_count: int, global_batch: int | None, accum: int | None, free: frozenset[str], *,
            batch_given: bool = True) -> tuple[Batches, list[str]]:
    """The batch bounds for a plan from the setup's micro-batch and GPUs, and the assumptions they rest on."""
    notes: list[str] = []
    if global_batch:
        share = math.ceil(global_batch / gpu_count)
        if share * gpu_count != global_batch:
            notes.append(f"global batch {global_batch} is not a multiple of {gpu_count} GPUs: "
                         f"{share} per GPU ({share * gpu_count} in all)")
        return Batches(share, global_batch, accum), notes
    if accum is None and "grad_accum" in free:
        notes.append("no global batch given (global_batch_size / --global-batch-size): accumulation 1, "
                     "so each optimizer step sees micro-batch × GPUs samples")
    target = batch if batch_given or "micro_batch" not in free else None
    if target is None:
        notes.append(f"no batch size given: the largest micro-batch that fits (at most {MICRO_CAP})")
    return Batches(target, None, accum), notes


class _Choice(NamedTuple):
    precision: str
    checkpointing: bool
    optimizer: str
    zero_stage: int
    fine_tuning: str
    offload: str


def precision_for(bf16_ok: bool | None, symptoms: frozenset[str] | set[str] = frozenset()) -> str | None:
    """The training precision to use on a card: bf16 where native, else fp16, fp32 when fp16 overflows."""
    if bf16_ok is None:
        return None
    if bf16_ok:
        return "bf16"
    return "fp32" if set(symptoms) & FP16_TROUBLE else "fp16"


def _precisions(w: Workload, bf16_ok: bool | None, symptoms: frozenset[str], allowed: tuple[str, ...] | None
                ) -> list[tuple[str, float]]:
    best = precision_for(bf16_ok, symptoms)
    if best is None:  # unknown card: the setup's precision, or bf16 from fp32 (the usual mixed precision)
        opts = [(w.precision, 0.0)] + ([("bf16", 0.0)] if w.precision == "fp32" else [])
    else:
        opts = [(best, 0.0)] + ([("fp32", 0.5)] if best != "fp32" else [])
        if w.precision not in dict(opts) and (bf16_ok or w.precision not in ("bf16", "bf16-pure")):
            opts.append((w.precision, 0.25))  # the setup's own 16-bit choice stays possible, after the card's best
    if allowed is not None:
        opts = [(p, c) for p, c in opts if p in allowed] or [(p, 0.0) for p in allowed[:1]]
    return list(dict(opts).items())


def _options(w: Workload, *, bf16_ok: bool | None, allow_peft: bool, free: frozenset[str],
             symptoms: frozenset[str], precisions: tuple[str, ...] | None) -> dict[str, list[tuple[Any, float]]]:
    opts: dict[str, list[tuple[Any, float]]] = {
        "precision": [(w.precision, 0.0)], "checkpointing": [(w.checkpointing, 0.0)],
        "optimizer": [(w.optimizer, 0.0)], "zero_stage": [(w.zero_stage, 0.0)],
        "fine_tuning": [(w.fine_tuning, 0.0)], "offload": [(w.offload, 0.0)],
    }
    if w.mode == "inference":
        if "precision" in free:
            if w.precision == "fp32":
                opts["precision"].append(("bf16", 0.0) if bf16_ok is not False else ("fp16", 0.5))
            if w.precision in ("fp32", "fp16", "bf16", "bf16-pure"):
                opts["precision"] += [("int8", 4.0), ("4bit", 5.0)]
            elif w.precision == "int8":
                opts["precision"].append(("4bit", 2.0))
        return opts
    if "precision" in free and w.fine_tuning != "qlora":
        opts["precision"] = _precisions(w, bf16_ok, symptoms, precisions)
    if "checkpointing" in free:
        opts["checkpointing"] = [(False, 0.0), (True, 2.5)]
    if "optimizer" in free and w.optimizer in ("adam", "adamw", "other", "adamw-8bit"):
        opts["optimizer"] = list(dict([(w.optimizer, 0.0), ("adamw-8bit", 2.0)]).items())
    if "zero_stage" in free:
        opts["zero_stage"] = [(0, 0.0)] + ([(1, 0.5), (2, 1.0), (3, 3.0)] if w.gpu_count > 1 else [])
    if "fine_tuning" in free and allow_peft and w.arch.family == "transformer":
        if w.fine_tuning in ("full", "none"):
            opts["fine_tuning"] += [("lora", 5.0), ("qlora", 6.0)]
        elif w.fine_tuning == "lora":
            opts["fine_tuning"].append(("qlora", 2.0))
    if "offload" in free:
        opts["offload"] = [("none", 0.0), ("optimizer", 6.5), ("all", 8.0)]
    return opts


def _apply(w: Workload, c: _Choice) -> Workload:
    zero = 3 if c.offload == "all" else c.zero_stage
    precision = c.precision
    if c.fine_tuning == "qlora" and precision not in (*memory.MIXED, "bf16-pure"):
        precision = "bf16"  # QLoRA computes in 16-bit on a 4-bit base
    return w.with_(precision=precision, checkpointing=c.checkpointing, optimizer=c.optimizer, zero_stage=zero,
                   fine_tuning=c.fine_tuning, offload=c.offload)


def _micro_cost(target: int | None, micro: int) -> float:
    return 0.0 if target is None or micro >= target else 1.0 + 0.5 * math.log2(target / micro)


def _candidates(w: Workload, b: Batches, free: frozenset[str]) -> list[int]:
    """Micro-batches to try, largest first."""
    if "micro_batch" not in free or w.mode != "training":
        return [w.batch]
    if b.target is None:
        return []  # unbounded: the largest power of two that fits
    if b.accum is not None and b.global_batch:
        return [max(1, math.ceil(b.target / b.accum))]
    if b.global_batch:
        return _divisors(b.target)
    powers = [1 << k for k in range(int(math.log2(b.target)), -1, -1)]
    return sorted({b.target, *powers}, reverse=True)


def _divisors(n: int) -> list[int]:
    """The divisors of n, largest first, in O(sqrt n): a global batch can be a billion."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)}, reverse=True)


def _best_micro(w: Workload, limit: float, b: Batches, free: frozenset[str]) -> int:
    """Largest candidate micro-batch that fits (0: none)."""
    candidates = _candidates(w, b, free)
    if not candidates:
        return memory.max_micro_batch(w, limit, cap=MICRO_CAP)
    for micro in candidates:
        if memory.estimate(w.with_(batch=micro)).peak <= limit:
            return micro
    return 0


def accumulation(micro: int, b: Batches) -> int:
    """Accumulation steps: fixed, or what reaches the per-device share of the global batch, else 1."""
    if b.accum is not None:
        return b.accum
    return max(1, math.ceil(b.target / micro)) if b.global_batch else 1


def _search(w: Workload, limit: float, opts: dict[str, list[tuple[Any, float]]], b: Batches, free: frozenset[str]
            ) -> tuple[tuple[_Choice, int, float, Estimate] | None, _Choice]:
    """Cheapest (choice, micro-batch, cost, estimate) that fits under `limit` (or None),
    and the choice with the lowest peak at the smallest micro-batch for when nothing fits."""
    best: tuple[float, float, _Choice, int, Estimate] | None = None
    lowest: tuple[float, _Choice] | None = None
    names = list(opts)
    smallest = min(_candidates(w, b, free) or [1])
    for combo in itertools.product(*(opts[n] for n in names)):
        choice = _Choice(**{n: v for n, (v, _) in zip(names, combo)})
        cost = sum(c for _, c in combo)
        trial = _apply(w, choice)
        choice = choice._replace(precision=trial.precision)  # QLoRA's 16-bit compute, as run
        if best is None:
            floor = memory.estimate(trial.with_(batch=smallest)).peak
            if lowest is None or floor < lowest[0]:
                lowest = (floor, choice)
        if best is not None and cost > best[0]:
            continue
        if "zero_stage" in free and trial.offload != "none" and trial.zero_stage == 0:
            continue  # DeepSpeed offloads only under ZeRO (ZeRO-Offload: stage 1-3)
        micro = _best_micro(trial, limit, b, free)
        if not micro:
            continue
        cost += _micro_cost(b.target, micro)
        est = memory.estimate(trial.with_(batch=micro))
        if best is None or (cost, est.peak) < (best[0], best[1]):
            best = (cost, est.peak, choice, micro, est)
    assert lowest is not None
    return (None if best is None else (best[2], best[3], best[0], best[4])), lowest[1]


_TEXT = {
    "precision": ("mixed-precision", "Train in {v} mixed precision"),
    "checkpointing": ("gradient-checkpointing", "Turn on gradient checkpointing"),
    "optimizer": ("memory-efficient-optimizer", "Use 8-bit AdamW (bitsandbytes)"),
    "zero_stage": ("sharded-training", "Shard across the {n} GPUs with ZeRO stage {v}{fsdp}"),
    "fine_tuning": ("parameter-efficient-finetuning", "Fine-tune with {V} instead of all weights"),
    "offload": ("cpu-offload", "Offload {what} to CPU memory"),
}

_SETTING = {
    "precision": lambda v: {"bf16": True} if v == "bf16" else {"fp16": True} if v == "fp16" else {"precision": v},
    "checkpointing": lambda v: {"gradient_checkpointing": bool(v)},
    "optimizer": lambda v: {"optim": "adamw_bnb_8bit" if v == "adamw-8bit" else "adamw_torch"},
    "zero_stage": lambda v: {"zero_stage": v},
    "fine_tuning": lambda v: {"peft": "LoraConfig(r=16, target_modules='all-linear')"} if v == "lora" else
    {"quantization": "BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type='nf4')", "peft": "LoraConfig"},
    "offload": lambda v: {"offload_optimizer": "cpu"} if v == "optimizer" else
    {"offload_optimizer": "cpu", "offload_param": "cpu", "zero_stage": 3},
}

_WHY = {
    "precision": "16-bit activations halve activation memory and run on tensor cores",
    "checkpointing": "keeps only each layer's input and recomputes the rest in backward (~30% more compute)",
    "optimizer": "Adam's two fp32 moments shrink from 8 to 2 bytes per parameter",
    "zero_stage": "each GPU keeps 1/{n} of the {what}",
    "fine_tuning": "base weights stay frozen{q}; only small adapters get gradients and optimizer state",
    "offload": "optimizer states{w} move to host RAM; steps get slower",
}

# Changes back to the cheaper-to-run value, when the plan finds the memory for them.
_UNDO = {
    "precision": lambda v: (f"Train in {v}", "the config rules out the mixed precisions the card has"
                            if v == "fp32" else "faster on tensor cores; it fits"),
    "checkpointing": lambda v: ("Turn gradient checkpointing off",
                                "it fits without recomputation, which saves ~30% of the compute"),
    "optimizer": lambda v: ("Use the standard AdamW", "it fits with full-precision optimizer states"),
    "zero_stage": lambda v: (f"ZeRO stage {v}", "it fits with less sharding, so less communication"),
    "offload": lambda v: ("Keep everything on the GPU" if v == "none" else f"Offload {v} only",
                          "it fits with less offloading: faster steps"),
}


def _describe(key: str, value: Any, w: Workload) -> tuple[str, str, dict[str, Any], str]:
    strategy, title = _TEXT[key]
    n = w.gpu_count
    title = title.format(v=value, n=n, V="QLoRA (4-bit base)" if value == "qlora" else "LoRA",
                         fsdp=" (FSDP full sharding)" if value == 3 else "",
                         what="optimizer states and weights" if value == "all" else "optimizer states")
    why = _WHY[key].format(n=n, what={1: "optimizer states", 2: "optimizer states and gradients"}.get(
        value, "optimizer states, gradients and weights"), q=" in 4-bit NF4" if value == "qlora" else "",
        w=" and weights" if value == "all" else "")
    if key == "fine_tuning" and value == "qlora":
        strategy = "quantization"
    return strategy, title, _SETTING[key](value), why


def _is_relief(key: str, before: Any, after: Any) -> bool:
    """Whether changing `key` from `before` to `after` is a memory fix (else it spends spare memory)."""
    if key == "precision":
        return before == "fp32" and after != "fp32" or after in ("int8", "4bit")
    if key in ("checkpointing",):
        return bool(after)
    if key == "optimizer":
        return after == "adamw-8bit"
    if key == "zero_stage":
        return after > before
    if key == "offload":
        return ["none", "optimizer", "all"].index(after) > ["none", "optimizer", "all"].index(before)
    return key == "fine_tuning"


def _micro_step(w: Workload, micro: int, accum: int, b: Batches) -> tuple[str, str, dict[str, Any], str]:
    setting = {"per_device_train_batch_size": micro, "gradient_accumulation_steps": accum}
    if b.global_batch:
        title = f"Micro-batch {micro} with gradient accumulation {accum}"
        why = (f"global batch {micro * accum * w.gpu_count} = {micro} × {accum} accumulation × {w.gpu_count} GPU(s); "
               f"activations scale with the micro-batch")
    else:
        title = f"Micro-batch {micro}" + (f" with gradient accumulation {accum}" if accum > 1 else "")
        why = (f"activations scale with the micro-batch; accumulation {accum} gives {micro * accum * w.gpu_count} "
               f"samples per step (set a global batch to keep a larger one by accumulating)")
    strategy = "gradient-accumulation" if accum > 1 else "reduce-batch-size"
    return strategy, title, setting, why


def _steps(w: Workload, choice: _Choice, micro: int, accum: int, opts: dict[str, list[tuple[Any, float]]],
           limit: float, b: Batches) -> list[Step]:
    changes: list[tuple[float, str, Any]] = []
    for key, options in opts.items():
        value = getattr(choice, key)
        if value != getattr(w, key):
            changes.append((dict(options).get(value, 0.0), key, value))
    if micro != w.batch or accum != 1:
        changes.append((_micro_cost(b.target, micro), "micro_batch", micro))
    changes.sort(key=lambda c: (c[0], c[1]))
    steps: list[Step] = []
    current = w
    before = memory.estimate(current).peak
    for cost, key, value in changes:
        if key == "micro_batch":
            relief = value < current.batch
            current = current.with_(batch=value)
            strategy, title, setting, why = _micro_step(w, value, accum, b)
        else:
            relief = _is_relief(key, getattr(current, key), value)
            current = current.with_(**{key: value}) if key != "offload" else current.with_(
                offload=value, zero_stage=3 if value == "all" else current.zero_stage)
            if relief:
                strategy, title, setting, why = _describe(key, value, w)
            else:
                strategy = _TEXT[key][0]
                title, why = _UNDO[key](value)
                setting = _SETTING[key](value)
        after = memory.estimate(current).peak
        if after >= before:
            why += (f"; this step alone does not lower the estimate ({after - before:+.2f} GiB)"
                    + (" but the later ones need it" if relief else ": it spends memory the plan has room for"))
        steps.append(Step(key, strategy, title, setting, cost, after, after - before, after <= limit, why))
        before = after
    return steps


def _more_hardware(w: Workload, limit_per_gpu: float, best: Estimate) -> Step:
    """The explained last resort: how much memory, or how many GPUs with full sharding, would do."""
    need = best.peak / (1 - memory.SAFETY_MARGIN) / memory.VISIBLE_FRACTION
    why = f"no combination of the knobs fits; a card with at least {math.ceil(need)} GB would"
    if w.mode == "training":
        for n in (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
            trial = w.with_(gpu_count=n, zero_stage=3, checkpointing=True, batch=1)
            if memory.estimate(trial).peak <= limit_per_gpu:
                why += f", or {n} such GPUs with ZeRO-3/FSDP and checkpointing at micro-batch 1"
                break
    return Step("more_hardware", "larger-hardware", "Use more GPU memory", {"min_gpu_mem_gib": math.ceil(need)},
                9.0, best.peak, 0.0, False, why)


# The estimator's assumptions that a free knob makes moot: the plan chooses that value itself.
_SUPERSEDED = {"precision": "precision ", "micro_batch": "micro-batch "}


def assumptions(est: Estimate, free: frozenset[str]) -> list[str]:
    """The estimate's assumptions that still hold for the plan's settings."""
    return [n for n in est.notes if not any(k in free and n.startswith(p) for k, p in _SUPERSEDED.items())]


def _settings(w: Workload, micro: int, accum: int) -> Settings:
    return Settings(micro, accum, w.gpu_count, w.precision, w.checkpointing, w.optimizer, w.zero_stage, w.offload,
                    w.fine_tuning)


def plan(w: Workload, gpu_mem_gib: float, *, bf16_ok: bool | None = None, allow_peft: bool = True,
         margin: float = memory.SAFETY_MARGIN, free: frozenset[str] = FREE, global_batch: int | None = None,
         accum: int | None = None, symptoms: frozenset[str] = frozenset(),
         precisions: tuple[str, ...] | None = None, batch_given: bool = True) -> Plan:
    """The cheapest settings over the `free` knobs that bring `w` under `gpu_mem_gib` with `margin` kept free.

    `global_batch` is the samples per optimizer step wanted over all GPUs; `accum` an accumulation the
    caller fixes; `precisions` the precisions still allowed (a config that sets `bf16: false`).
    """
    limit = memory.limit_gib(gpu_mem_gib, margin)
    visible = memory.visible_gib(gpu_mem_gib)
    base = memory.estimate(w)
    result = Plan(base, limit, visible, base.peak <= visible, base.peak <= limit)
    b, result.notes = batches(w.batch, w.gpu_count, global_batch, accum, free, batch_given=batch_given)
    if w.mode == "training":
        result.max_micro_batch = memory.max_micro_batch(w, limit)
    opts = _options(w, bf16_ok=bf16_ok, allow_peft=allow_peft, free=free, symptoms=symptoms, precisions=precisions)
    found, everything = _search(w, limit, opts, b, free)
    if found is None:
        micro = min(_candidates(w, b, free) or [1])
        trial = _apply(w, everything).with_(batch=micro) if w.mode == "training" else _apply(w, everything)
        steps_accum = accumulation(trial.batch, b)
        result.steps = _steps(w, everything, trial.batch, steps_accum, opts, limit, b)
        result.final = memory.estimate(trial)
        result.settings = _settings(trial, trial.batch, steps_accum)
        result.steps.append(_more_hardware(w, limit, result.final))
        return result
    choice, micro, _, est = found
    chosen = _apply(w, choice).with_(batch=micro)
    n_accum = accumulation(micro, b)
    result.steps = _steps(w, choice, micro, n_accum, opts, limit, b)
    result.final, result.final_fits = est, True
    result.settings = _settings(chosen, micro, n_accum)
    return result


def eval_batch(w: Workload, gpu_mem_gib: float, *, margin: float = memory.SAFETY_MARGIN) -> int:
    """Largest power-of-two evaluation batch during training (0: not even one).

    Evaluation keeps the training weights and optimizer states on the GPU (the Trainer evaluates between
    steps; gradients are freed by zero_grad(set_to_none=True), PyTorch's default since 2.0) and adds the
    inference activations of a forward pass (the estimator's `inference` mode) at that batch.
    """
    limit = memory.limit_gib(gpu_mem_gib, margin)
    train = memory.estimate(w.with_(batch=1))
    resident = train.weights + train.optimizer

    def peak(batch: int) -> float:
        # the loss needs every position's logits (the training estimate's per-sample logits), not the last only
        forward = memory.estimate(w.with_(mode="inference", batch=batch))
        return resident + forward.activations + forward.overhead + train.logits * batch

    if peak(1) > limit:
        return 0
    batch = 1
    while batch < MICRO_CAP and peak(batch * 2) <= limit:
        batch *= 2
    return batch


def plan_setup(setup: dict[str, Any], *, margin: float = memory.SAFETY_MARGIN, free: frozenset[str] = FREE,
               accum: int | None = None, precisions: tuple[str, ...] | None = None
               ) -> tuple[Workload, Plan] | None:
    """Plan for a normalised setup; None when it names no model or no GPU memory."""
    w = memory.workload_from_setup(setup)
    if w is None or "gpu_mem_gib" not in setup:
        return None
    card = gpus.card(setup["gpu"]) if "gpu" in setup else None
    allow_peft = setup.get("fine_tuning") != "none" and (
        setup.get("fine_tuning") in ("full", "lora", "qlora") or setup.get("pretrained") is not False)
    return w, plan(w, setup["gpu_mem_gib"], bf16_ok=None if card is None else card.bf16, allow_peft=allow_peft,
                   margin=margin, free=free, global_batch=setup.get("global_batch_size"), accum=accum,
                   symptoms=frozenset(setup.get("symptoms", ())), precisions=precisions,
                   batch_given="batch_size" in setup)
