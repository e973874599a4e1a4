"""Facts: every setup field, plus numbers derived once from the setup.

Rules name facts in their conditions and templates. Each derived fact declares
the setup fields it `requires`; it is known exactly when they are, which lets
the rule loader prove at load time that a template only uses known values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from advisor.estimate import classmath, memory
from advisor.setup import fields, gpus, modelconfig


@dataclass(frozen=True)
class FactSpec:
    name: str
    kind: str  # "number" | "str" | "bool" | "set"
    description: str
    requires: frozenset[str]
    choices: tuple[str, ...] = ()
    compute: Callable[[dict[str, Any], dict[str, Any]], Any] | None = None


_KIND = {"int": "number", "number": "number", "ratio": "str", "str": "str", "bool": "bool", "set": "set"}

SPECS: dict[str, FactSpec] = {
    f.name: FactSpec(f.name, _KIND[f.kind], f.help, frozenset() if f.kind == "set" else frozenset({f.name}),
                     f.choices)
    for f in fields.FIELDS
}


def _fact(kind: str, description: str, *requires: str, choices: tuple[str, ...] = ()):
    def register(compute: Callable[[dict[str, Any], dict[str, Any]], Any]):
        name = compute.__name__
        needed = frozenset().union(*(SPECS[r].requires for r in requires)) if requires else frozenset()
        SPECS[name] = FactSpec(name, kind, description, needed, choices, compute)
        return compute
    return register


# --- class balance -------------------------------------------------------

@_fact("number", "majority / minority class size", "class_ratio")
def imbalance_ratio(setup, facts):
    return setup["class_ratio"].imbalance


@_fact("number", "share of the smallest class in the data, 0..0.5", "class_ratio")
def minority_share(setup, facts):
    counts = setup.get("class_counts")
    if counts:
        return min(counts) / sum(counts)
    return classmath.geometric_minority_share(facts["imbalance_ratio"], setup.get("num_classes") or 2)


@_fact("number", "minority share in percent", "class_ratio")
def minority_pct(setup, facts):
    return 100 * facts["minority_share"]


@_fact("number", "largest class's share in percent", "class_ratio")
def majority_pct(setup, facts):
    return facts["minority_pct"] * facts["imbalance_ratio"]


@_fact("number", "balanced class weight of the minority class: n / (k · n_minority)", "class_ratio")
def class_weight_minority(setup, facts):
    k = setup.get("num_classes") or 2
    return 1 / (k * facts["minority_share"])


@_fact("number", "balanced class weight of the majority class: n / (k · n_majority)", "class_ratio")
def class_weight_majority(setup, facts):
    k = setup.get("num_classes") or 2
    return 1 / (k * facts["minority_share"] * facts["imbalance_ratio"])


@_fact("number", "BCEWithLogitsLoss pos_weight = negatives / positives (two classes)", "class_ratio")
def pos_weight(setup, facts):
    return facts["imbalance_ratio"]


@_fact("number", "focal-loss alpha for the minority class (its inverse frequency, normalised)", "class_ratio")
def focal_alpha(setup, facts):
    r = facts["imbalance_ratio"]
    return r / (1 + r)


@_fact("str", "balanced class weights n / (k · n_c) per class, in class order", "class_counts")
def class_weights(setup, facts):
    return classmath.format_list(classmath.balanced_weights(setup["class_counts"]))


@_fact("str", "pos_weight negatives / positives per class (one-vs-rest), in class order", "class_counts")
def pos_weights(setup, facts):
    return classmath.format_list(classmath.pos_weights(setup["class_counts"]))


@_fact("str", "WeightedRandomSampler weight 1 / n_c of one sample of each class", "class_counts")
def sampler_class_weights(setup, facts):
    return classmath.format_list(classmath.sampler_weights(setup["class_counts"]))


@_fact("str", "focal-loss alpha per class, inverse frequency normalised to sum 1", "class_counts")
def focal_alphas(setup, facts):
    return classmath.format_list(classmath.focal_alphas(setup["class_counts"]))


@_fact("number", "samples per class after random over-sampling (the largest class)", "class_counts")
def oversample_target(setup, facts):
    return max(setup["class_counts"])


@_fact("number", "samples per class after random under-sampling (the smallest class)", "class_counts")
def undersample_target(setup, facts):
    return min(setup["class_counts"])


@_fact("number", "training samples of the smallest class", "class_ratio", "dataset_size")
def minority_samples(setup, facts):
    return round(setup["dataset_size"] * facts["minority_share"])


@_fact("number", "training samples per class, on average", "dataset_size", "num_classes")
def samples_per_class(setup, facts):
    return setup["dataset_size"] / setup["num_classes"]


@_fact("number", "loss expected at initialisation for a uniform guess: ln(classes)", "num_classes")
def initial_loss(setup, facts):
    return math.log(setup["num_classes"])


# --- model and data size --------------------------------------------------

@_fact("number", "parameters per training sample", "model_params", "dataset_size")
def params_per_sample(setup, facts):
    return setup["model_params"] / setup["dataset_size"]


@_fact("number", "model size in billions of parameters", "model_params")
def model_billions(setup, facts):
    return setup["model_params"] / 1e9


# --- hardware ----------------------------------------------------------------

@_fact("bool", "the card supports bf16 natively (Ampere or newer)", "gpu")
def bf16_supported(setup, facts):
    return gpus.CATALOG[setup["gpu"]].bf16


@_fact("number", "GPU count, 1 when not given")
def gpus_available(setup, facts):
    return setup.get("gpu_count", 1)


@_fact("number", "memory the allocator can use on one GPU, GiB", "gpu_mem_gib")
def usable_gpu_gib(setup, facts):
    return memory.usable_gib(setup["gpu_mem_gib"])


# --- memory estimate (advisor.memory; the planner in advisor.planner) ------------

@lru_cache(maxsize=256)
def _memory(key: tuple[tuple[str, Any], ...], model: Any) -> tuple[Any, Any]:
    # `model` is only part of the key: the config.json's model as read now (modelconfig keeps it while the
    # file is unchanged), so a long-lived process estimates an edited file again
    w = memory.workload_from_setup(dict(key))
    return w, memory.estimate(w)


def _estimate(setup: dict[str, Any]):
    # keyed on the fields the estimate reads, all scalars: symptoms (a list from the library) play no part
    path = setup.get("model_config")
    return _memory(memory.estimate_key(setup), modelconfig.read(path) if path else None)


@_fact("str", "precision assumed for estimates (fp32 when not given)", choices=fields.PRECISIONS)
def assumed_precision(setup, facts):
    return setup.get("precision", "fp32")


@_fact("number", "model states (weights, gradients, optimizer) per GPU, GiB", "model_params")
def model_state_gib(setup, facts):
    return _estimate(setup)[1].model_states


@_fact("number", "16-bit weights of the model alone, GiB", "model_params")
def weights_16bit_gib(setup, facts):
    return setup["model_params"] * 2 / memory.GIB


@_fact("number", "activation memory per sample, GiB", "model_params")
def activation_gib_per_sample(setup, facts):
    return _estimate(setup)[1].activations_per_sample


@_fact("number", "estimated peak memory per GPU for training at the given micro-batch (1 if not given), GiB",
       "model_params")
def est_peak_gib(setup, facts):
    return _estimate(setup)[1].peak


@_fact("number", "estimated peak / usable GPU memory", "model_params", "gpu_mem_gib")
def memory_ratio(setup, facts):
    return (facts["est_peak_gib"] - memory.CUDA_CONTEXT_GIB) / facts["usable_gpu_gib"]


@_fact("bool", "the estimated peak fits in the card's visible memory", "model_params", "gpu_mem_gib")
def fits(setup, facts):
    return facts["est_peak_gib"] <= memory.visible_gib(setup["gpu_mem_gib"])


@_fact("number", "visible GPU memory left at the estimated peak, GiB (negative: short by that much)",
       "model_params", "gpu_mem_gib")
def headroom_gib(setup, facts):
    return memory.visible_gib(setup["gpu_mem_gib"]) - facts["est_peak_gib"]


@_fact("number", "model states unsharded / usable memory of all GPUs together", "model_params", "gpu_mem_gib")
def state_ratio_all_gpus(setup, facts):
    w, _ = _estimate(setup)
    unsharded = memory.estimate(w.with_(zero_stage=0, offload="none")).model_states
    return unsharded / (facts["usable_gpu_gib"] * facts["gpus_available"])


@_fact("number", "smallest ZeRO stage (0-3) that fits with a 10% margin on the GPUs available (3 if none does)",
       "model_params", "gpu_mem_gib")
def recommended_zero_stage(setup, facts):
    w, _ = _estimate(setup)
    limit = memory.limit_gib(setup["gpu_mem_gib"])
    for stage in range(4):
        if memory.estimate(w.with_(zero_stage=stage)).peak <= limit:
            return stage
    return 3


@_fact("number", "estimated peak with LoRA (16-bit frozen base) at the same batch, GiB", "model_params")
def lora_peak_gib(setup, facts):
    w, _ = _estimate(setup)
    precision = w.precision if w.precision in ("fp16", "bf16", "bf16-pure") else "bf16"
    return memory.estimate(w.with_(fine_tuning="lora", precision=precision)).peak


@_fact("number", "estimated peak with QLoRA (4-bit NF4 base) at the same batch, GiB", "model_params")
def qlora_peak_gib(setup, facts):
    w, _ = _estimate(setup)
    precision = w.precision if w.precision in ("fp16", "bf16", "bf16-pure") else "bf16"
    return memory.estimate(w.with_(fine_tuning="qlora", precision=precision)).peak


@_fact("number", "largest micro-batch that fits with a 10% margin (0: not even one sample)",
       "model_params", "gpu_mem_gib")
def max_micro_batch(setup, facts):
    w, _ = _estimate(setup)
    return memory.max_micro_batch(w, memory.limit_gib(setup["gpu_mem_gib"]), cap=max(1024, w.batch))


@_fact("number", "micro-batch to use: the largest power of two that fits, at most the batch size",
       "model_params", "gpu_mem_gib", "batch_size")
def suggested_micro_batch(setup, facts):
    return max(1, min(setup["batch_size"], facts["max_micro_batch"]))


@_fact("number", "gradient-accumulation steps that keep the effective batch at the suggested micro-batch",
       "model_params", "gpu_mem_gib", "batch_size")
def grad_accum_steps(setup, facts):
    return math.ceil(setup["batch_size"] / facts["suggested_micro_batch"])


# --- optimisation -----------------------------------------------------------

def _lr_band(setup: dict[str, Any]) -> tuple[float, float, float]:
    """(low, typical, high) learning rate for this kind of run.

    LoRA 1e-4..3e-4 (PEFT/QLoRA papers); BERT-style full fine-tuning 2e-5..5e-5
    (Devlin et al. 2019); Adam from scratch 3e-4 (Karpathy; Tobin); SGD 0.1 at
    batch 256, scaled linearly (Goyal et al. 2017).
    """
    optimizer = setup.get("optimizer", "adamw")
    if setup.get("fine_tuning") in ("lora", "qlora"):
        return 5e-5, 2e-4, 5e-4
    fine_tuning = setup.get("pretrained") or setup.get("fine_tuning") == "full"
    if optimizer == "sgd":
        scale = setup.get("batch_size", 256) * setup.get("gpu_count", 1) / 256
        return (1e-4, 1e-3, 1e-2) if fine_tuning else (1e-3 * scale, 0.1 * scale, 0.4 * scale)
    if fine_tuning:
        return (1e-6, 2e-5, 1e-4) if setup.get("model_family", "transformer") == "transformer" else (1e-5, 1e-4, 1e-3)
    return 1e-5, 3e-4, 3e-3


@_fact("number", "usual learning rate for this optimizer and kind of run")
def lr_typical(setup, facts):
    return _lr_band(setup)[1]


@_fact("number", "upper end of the usual learning-rate range for this run")
def lr_high(setup, facts):
    return _lr_band(setup)[2]


@_fact("number", "lower end of the usual learning-rate range for this run")
def lr_low(setup, facts):
    return _lr_band(setup)[0]


@_fact("number", "learning rate / upper end of its usual range", "lr")
def lr_ratio(setup, facts):
    return setup["lr"] / facts["lr_high"]


@_fact("number", "samples per optimizer step across all GPUs", "batch_size")
def effective_batch(setup, facts):
    return setup["batch_size"] * setup.get("gpu_count", 1)


@_fact("number", "optimizer steps per epoch", "batch_size", "dataset_size")
def steps_per_epoch(setup, facts):
    return max(1, math.ceil(setup["dataset_size"] / facts["effective_batch"]))


@_fact("number", "symptoms declared or detected")
def symptom_count(setup, facts):
    return len(setup.get("symptoms", ()))


_FP16_TROUBLE = frozenset({"nan-loss", "diverging-loss", "exploding-gradients", "unstable-training"})


@_fact("str", "training precision to use on this card: bf16 where native, else fp16 mixed precision, "
       "fp32 when fp16 already overflows (NaN / diverging loss)", "gpu", choices=("bf16", "fp16", "fp32"))
def recommended_precision(setup, facts):
    if facts["bf16_supported"]:
        return "bf16"
    return "fp32" if facts["symptoms"] & _FP16_TROUBLE else "fp16"


def derive(setup: dict[str, Any]) -> dict[str, Any]:
    """All facts known for a normalised setup; unknown ones are left out.

    A field's fact is its value as plain data: rules compare and show the class ratio as "1:20".
    """
    facts: dict[str, Any] = {"symptoms": frozenset(setup.get("symptoms", ()))}
    for name, spec in SPECS.items():
        if spec.compute is None:
            if name in setup and name != "symptoms":
                facts[name] = fields.BY_NAME[name].plain(setup[name])
        elif spec.requires <= facts.keys():
            facts[name] = spec.compute(setup, facts)
    return facts
