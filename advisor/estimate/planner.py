"""The cheapest changes that make a run fit in GPU memory, ranked, each with its new estimate.

The planner searches every combination of the memory knobs below, keeps those
whose estimated peak stays under the card's visible memory less a safety
margin (10% by default: batch-size finders' users report that the "largest
batch that fits" later runs out of memory), and picks the combination that
costs least. Costs put a number on what each change gives up — speed or
accuracy — in this documented order:

| change | cost | what it gives up |
|---|---|---|
| bf16 mixed precision (from fp32) | 0 | nothing on Ampere+; faster on tensor cores |
| fp16 mixed precision (no bf16) | 0.5 | needs loss scaling; overflow risk |
| ZeRO-1 / ZeRO-2 over the GPUs you have | 0.5 / 1 | none: same traffic as DDP (ZeRO paper §7) |
| smaller micro-batch + accumulation | 1 + 0.5 per halving | throughput once the GPU is under-filled |
| 8-bit AdamW | 2 | next to nothing (Dettmers et al. 2022) |
| gradient checkpointing | 2.5 | ~30% more compute: one extra forward |
| ZeRO-3 / FSDP full sharding | 3 | 1.5× the communication of DDP |
| LoRA (fine-tuning a pretrained model) | 5 | some accuracy on hard tasks; fewer trainable weights |
| QLoRA | 6 | LoRA's, plus 4-bit rounding and ~40% slower steps |
| offload optimizer states to CPU | 6.5 | optimizer step on CPU: much slower |
| offload weights too (ZeRO-Infinity) | 8 | slowest; PCIe-bound |

Ties go to the lower peak. When the run already fits, the plan lists ways to
use the spare memory (faster precision, no recomputation, a larger micro-batch).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from advisor.setup import gpus
from advisor.estimate import memory
from advisor.estimate.memory import Estimate, Workload


@dataclass(frozen=True)
class Step:
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


@dataclass(frozen=True)
class _Choice:
    precision: str
    checkpointing: bool
    optimizer: str
    zero_stage: int
    fine_tuning: str
    offload: str


def _mixed(bf16_ok: bool | None) -> tuple[str, float]:
    return ("bf16", 0.0) if bf16_ok is not False else ("fp16", 0.5)


def _options(w: Workload, *, bf16_ok: bool | None, allow_peft: bool) -> dict[str, list[tuple[Any, float]]]:
    opts: dict[str, list[tuple[Any, float]]] = {
        "precision": [(w.precision, 0.0)], "checkpointing": [(w.checkpointing, 0.0)],
        "optimizer": [(w.optimizer, 0.0)], "zero_stage": [(w.zero_stage, 0.0)],
        "fine_tuning": [(w.fine_tuning, 0.0)], "offload": [(w.offload, 0.0)],
    }
    if w.mode == "inference":
        if w.precision == "fp32":
            opts["precision"].append(_mixed(bf16_ok))
        if w.precision in ("fp32", "fp16", "bf16", "bf16-pure"):
            opts["precision"] += [("int8", 4.0), ("4bit", 5.0)]
        elif w.precision == "int8":
            opts["precision"].append(("4bit", 2.0))
        return opts
    if w.precision == "fp32":
        opts["precision"].append(_mixed(bf16_ok))
    if not w.checkpointing:
        opts["checkpointing"].append((True, 2.5))
    if w.optimizer in ("adam", "adamw", "other"):
        opts["optimizer"].append(("adamw-8bit", 2.0))
    if w.gpu_count > 1:
        opts["zero_stage"] += [(s, c) for s, c in ((1, 0.5), (2, 1.0), (3, 3.0)) if s > w.zero_stage]
    if allow_peft and w.arch.family == "transformer":
        if w.fine_tuning in ("full", "none"):
            opts["fine_tuning"] += [("lora", 5.0), ("qlora", 6.0)]
        elif w.fine_tuning == "lora":
            opts["fine_tuning"].append(("qlora", 2.0))
    if w.offload == "none":
        opts["offload"] += [("optimizer", 6.5), ("all", 8.0)]
    elif w.offload == "optimizer":
        opts["offload"].append(("all", 2.0))
    return opts


def _apply(w: Workload, c: _Choice) -> Workload:
    zero = 3 if c.offload == "all" else c.zero_stage
    return w.with_(precision=c.precision, checkpointing=c.checkpointing, optimizer=c.optimizer, zero_stage=zero,
                   fine_tuning=c.fine_tuning, offload=c.offload)


def _micro_cost(batch: int, micro: int) -> float:
    return 0.0 if micro >= batch else 1.0 + 0.5 * math.log2(batch / micro)


def _best_micro(w: Workload, limit: float) -> int:
    """Largest power-of-two micro-batch ≤ the batch that fits (0: none)."""
    micro = 1 << int(math.log2(w.batch)) if w.batch > 1 else 1
    if micro == w.batch and memory.estimate(w).peak <= limit:
        return w.batch
    while micro >= 1:
        if memory.estimate(w.with_(batch=micro)).peak <= limit:
            return micro
        micro //= 2
    return 0


def _search(w: Workload, limit: float, opts: dict[str, list[tuple[Any, float]]]
            ) -> tuple[tuple[_Choice, int, float, Estimate] | None, _Choice]:
    """Cheapest (choice, micro-batch, cost, estimate) that fits under `limit` (or None),
    and the choice with the lowest peak at micro-batch 1 for when nothing fits."""
    best: tuple[float, float, _Choice, int, Estimate] | None = None
    lowest: tuple[float, _Choice] | None = None
    names = list(opts)
    for combo in itertools.product(*(opts[n] for n in names)):
        choice = _Choice(**{n: v for n, (v, _) in zip(names, combo)})
        cost = sum(c for _, c in combo)
        trial = _apply(w, choice)
        if best is None:
            floor = memory.estimate(trial.with_(batch=1) if w.mode == "training" else trial).peak
            if lowest is None or floor < lowest[0]:
                lowest = (floor, choice)
        if best is not None and cost > best[0]:
            continue
        micro = _best_micro(trial, limit) if w.mode == "training" else (
            w.batch if memory.estimate(trial).peak <= limit else 0)
        if not micro:
            continue
        cost += _micro_cost(w.batch, micro)
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
    "optimizer": lambda v: {"optim": "adamw_bnb_8bit"},
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


def _steps(w: Workload, choice: _Choice, micro: int, opts: dict[str, list[tuple[Any, float]]], limit: float
           ) -> list[Step]:
    changes: list[tuple[float, str, Any]] = []
    for key, options in opts.items():
        value = getattr(choice, key)
        if value != options[0][0]:
            changes.append((dict(options)[value], key, value))
    if micro < w.batch:
        changes.append((_micro_cost(w.batch, micro), "micro_batch", micro))
    changes.sort(key=lambda c: (c[0], c[1]))
    steps: list[Step] = []
    current = w
    before = memory.estimate(current).peak
    for cost, key, value in changes:
        if key == "micro_batch":
            accum = math.ceil(w.batch / value)
            current = current.with_(batch=value)
            strategy, title = "gradient-accumulation", f"Micro-batch {value} with gradient accumulation {accum}"
            setting = {"per_device_train_batch_size": value, "gradient_accumulation_steps": accum}
            why = f"same effective batch of {value * accum}; activations scale with the micro-batch"
        else:
            current = current.with_(**{key: value}) if key != "offload" else current.with_(
                offload=value, zero_stage=3 if value == "all" else current.zero_stage)
            strategy, title, setting, why = _describe(key, value, w)
        after = memory.estimate(current).peak
        if after >= before:
            why += f"; this step alone does not lower the estimate ({after - before:+.2f} GiB) but the later ones need it"
        steps.append(Step(key if key != "micro_batch" else "micro_batch", strategy, title, setting, cost, after,
                          after - before, after <= limit, why))
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


def plan(w: Workload, gpu_mem_gib: float, *, bf16_ok: bool | None = None, allow_peft: bool = True,
         margin: float = memory.SAFETY_MARGIN) -> Plan:
    """Rank the cheapest changes that bring `w` under `gpu_mem_gib` with `margin` kept free."""
    limit = memory.limit_gib(gpu_mem_gib, margin)
    visible = memory.visible_gib(gpu_mem_gib)
    base = memory.estimate(w)
    result = Plan(base, limit, visible, base.peak <= visible, base.peak <= limit)
    if w.mode == "training":
        result.max_micro_batch = memory.max_micro_batch(w, limit)
    opts = _options(w, bf16_ok=bf16_ok, allow_peft=allow_peft)
    if result.fits_with_margin:
        result.steps = _use_spare(w, opts, limit, result.max_micro_batch)
        result.final, result.final_fits = base, True
        return result
    found, everything = _search(w, limit, opts)
    if found is None:
        trial = _apply(w, everything).with_(batch=1) if w.mode == "training" else _apply(w, everything)
        result.steps = _steps(w, everything, trial.batch, opts, limit)
        result.final = memory.estimate(trial)
        result.steps.append(_more_hardware(w, limit, result.final))
        return result
    choice, micro, _, est = found
    result.steps = _steps(w, choice, micro, opts, limit)
    result.final, result.final_fits = est, True
    return result


def _use_spare(w: Workload, opts: dict[str, list[tuple[Any, float]]], limit: float, max_micro: int) -> list[Step]:
    """When it already fits: faster settings the spare memory allows."""
    steps: list[Step] = []
    current, before = w, memory.estimate(w).peak
    if w.mode == "training" and w.precision == "fp32" and len(opts["precision"]) > 1:
        value = opts["precision"][1][0]
        trial = current.with_(precision=value)
        after = memory.estimate(trial).peak
        if after <= limit:
            strategy, title, setting, why = _describe("precision", value, w)
            steps.append(Step("precision", strategy, title, setting, 0.0, after, after - before, True,
                              why + "; it already fits, this is for speed"))
            current, before = trial, after
    if w.checkpointing:
        trial = current.with_(checkpointing=False)
        after = memory.estimate(trial).peak
        if after <= limit:
            steps.append(Step("checkpointing", "gradient-checkpointing", "Turn gradient checkpointing off",
                              {"gradient_checkpointing": False}, 0.0, after, after - before, True,
                              "it fits without recomputation, which saves ~30% of the compute"))
            current, before = trial, after
    if w.mode == "training":
        best = memory.max_micro_batch(current, limit)
        if best > current.batch:
            after = memory.estimate(current.with_(batch=best)).peak
            steps.append(Step("micro_batch", "reduce-batch-size", f"Room for micro-batch {best}",
                              {"per_device_train_batch_size": best}, 0.0, after, after - before, True,
                              f"fewer accumulation steps for the same effective batch keep the GPU busier; "
                              f"{best} is the largest power of two that keeps a {memory.SAFETY_MARGIN:.0%} margin"))
    return steps


def plan_setup(setup: dict[str, Any], *, margin: float = memory.SAFETY_MARGIN) -> tuple[Workload, Plan] | None:
    """Plan for a normalised setup; None when it names no model or no GPU memory."""
    w = memory.workload_from_setup(setup)
    if w is None or "gpu_mem_gib" not in setup:
        return None
    card = gpus.CATALOG.get(setup.get("gpu", ""))
    allow_peft = setup.get("fine_tuning") != "none" and (
        setup.get("fine_tuning") in ("full", "lora", "qlora") or setup.get("pretrained") is not False)
    return w, plan(w, setup["gpu_mem_gib"], bf16_ok=None if card is None else card.bf16, allow_peft=allow_peft,
                   margin=margin)
