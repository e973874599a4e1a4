"""Facts: every setup field, plus numbers derived once from the setup.

Rules name facts in their conditions and templates. Each derived fact declares
the setup fields it `requires`; it is known exactly when they are, which lets
the rule loader prove at load time that a template only uses known values.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable, NamedTuple

from advisor.estimate import classmath, memory
from advisor.setup import architectures, fields, gpus, modelconfig


class FactSpec(NamedTuple):
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


@_fact("str", "minority share as text with three significant digits (0.0462%, 4.76%): a fixed-point "
       "format would print a rare class as 0.0%", "class_ratio")
def minority_share_text(setup, facts):
    return f"{facts['minority_pct']:.3g}%"


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
    return gpus.card(setup["gpu"]).bf16  # None (unknown) for a card outside the catalog


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


@_fact("str", "what a model name outside the catalog was read as (closest name, size, family); empty for a "
       "catalog model", "model")
def model_name_assumption(setup, facts):
    return "; ".join(architectures.resolve(setup["model"]).notes)


@_fact("str", "precision assumed for estimates (fp32 when not given)", choices=fields.PRECISIONS)
def assumed_precision(setup, facts):
    return setup.get("precision", "fp32")


@_fact("bool", "the run autocasts to fp16, so its loss needs scaling (a GradScaler); bf16 and fp32 do not",
       "precision")
def fp16_autocast(setup, facts):
    return setup["precision"] == "fp16"


@_fact("number", "memory of the largest single GPU in the catalog, GiB")
def largest_gpu_gib(setup, facts):
    return float(max(card.memory_gib for card in gpus.CATALOG.values()))


@_fact("number", "GPUs of the largest catalog card that the model states alone need, unsharded "
       "(a floor that needs no card)", "model_params")
def gpus_needed_for_states(setup, facts):
    w, _ = _estimate(setup)
    unsharded = memory.estimate(w.with_(zero_stage=0, offload="none")).model_states
    return math.ceil(unsharded / memory.usable_gib(facts["largest_gpu_gib"]))


@_fact("number", "model states (weights, gradients, optimizer) per GPU, GiB", "model_params")
def model_state_gib(setup, facts):
    return _estimate(setup)[1].model_states


@_fact("number", "16-bit weights of the model alone, GiB", "model_params")
def weights_16bit_gib(setup, facts):
    return setup["model_params"] * 2 / memory.GIB


@_fact("number", "activation memory per sample, GiB", "model_params")
def activation_gib_per_sample(setup, facts):
    return _estimate(setup)[1].activations_per_sample


@_fact("number", "activation memory at the given micro-batch (1 if not given), GiB", "model_params")
def activation_gib(setup, facts):
    return facts["activation_gib_per_sample"] * setup.get("batch_size", 1)


@_fact("number", "estimated peak memory per GPU as nvidia-smi shows it (reserved + CUDA context), for training at "
       "the given micro-batch (1 if not given), GiB", "model_params")
def est_peak_gib(setup, facts):
    return _estimate(setup)[1].peak


@_fact("number", "estimated peak reserved by PyTorch (torch.cuda.max_memory_reserved), GiB", "model_params")
def est_peak_reserved_gib(setup, facts):
    return _estimate(setup)[1].peak_reserved


@_fact("number", "estimated peak of live tensors (torch.cuda.max_memory_allocated), GiB", "model_params")
def est_peak_allocated_gib(setup, facts):
    return _estimate(setup)[1].peak_allocated


@_fact("number", "estimated peak / usable GPU memory", "model_params", "gpu_mem_gib")
def memory_ratio(setup, facts):
    return facts["est_peak_reserved_gib"] / facts["usable_gpu_gib"]


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


# --- what the out-of-memory advice quotes: the estimator and the planner on one change each --------

@_fact("number", "model states per GPU with 8-bit AdamW instead of the setup's optimizer, GiB", "model_params")
def adamw8bit_state_gib(setup, facts):
    w, _ = _estimate(setup)
    return memory.estimate(w.with_(optimizer="adamw-8bit")).model_states


@_fact("number", "estimated peak per GPU with 8-bit AdamW at the same batch, GiB", "model_params")
def adamw8bit_peak_gib(setup, facts):
    w, _ = _estimate(setup)
    return memory.estimate(w.with_(optimizer="adamw-8bit")).peak


@_fact("number", "estimated peak with 8-bit AdamW / usable GPU memory", "model_params", "gpu_mem_gib")
def adamw8bit_memory_ratio(setup, facts):
    w, _ = _estimate(setup)
    return memory.estimate(w.with_(optimizer="adamw-8bit")).peak_reserved / facts["usable_gpu_gib"]


@lru_cache(maxsize=256)
def _checkpointed(key: tuple[tuple[str, Any], ...], model: Any, gpu_mem_gib: float, batch_given: bool):
    from advisor.estimate import planner  # only for a model to plan for: not on the start-up of any other setup

    w, _ = _memory(key, model)
    return planner.plan(w, gpu_mem_gib, free=frozenset({"micro_batch", "grad_accum", "checkpointing"}),
                        global_batch=w.batch * w.gpu_count if batch_given else None, batch_given=batch_given)


def _checkpointed_plan(setup: dict[str, Any]):
    # `advisor memory`'s planner with only the micro-batch and checkpointing free, keeping the effective
    # batch by accumulation: the plan the advice "micro-batch + accumulation + checkpointing" quotes
    path = setup.get("model_config")
    return _checkpointed(memory.estimate_key(setup), modelconfig.read(path) if path else None,
                         setup["gpu_mem_gib"], "batch_size" in setup)


@_fact("number", "micro-batch of the plan that changes only the micro-batch and gradient checkpointing "
       "(0: not even one sample fits with checkpointing)", "model_params", "gpu_mem_gib")
def checkpointed_micro_batch(setup, facts):
    found = _checkpointed_plan(setup)
    return found.settings.micro_batch if found.final_fits else 0


@_fact("number", "gradient-accumulation steps of that plan, keeping the effective batch", "model_params",
       "gpu_mem_gib", "batch_size")
def checkpointed_grad_accum(setup, facts):
    return _checkpointed_plan(setup).settings.grad_accum


@_fact("number", "estimated peak of that plan, GiB", "model_params", "gpu_mem_gib")
def checkpointed_peak_gib(setup, facts):
    return _checkpointed_plan(setup).final.peak


# --- optimisation -----------------------------------------------------------

# GPT-3 (Brown et al. 2020, Table 2.1): the learning rate of Adam pretraining falls with model size.
# (parameters, lr): 125M 6e-4 ... 175B 0.6e-4; between the rows log-log interpolation.
_PRETRAIN_LR = ((125e6, 6e-4), (350e6, 3e-4), (760e6, 2.5e-4), (1.3e9, 2e-4), (2.7e9, 1.6e-4), (6.7e9, 1.2e-4),
                (13e9, 1e-4), (175e9, 0.6e-4))
_T5_FAMILY = ("t5", "flan-t5", "mt5", "byt5", "ul2")


def _model_name(setup: dict[str, Any]) -> str:
    """The model's name without its organisation ("google/flan-t5-base" -> "flan-t5-base"), or ""."""
    return str(setup.get("model", "")).lower().rsplit("/", 1)[-1]


def _pretrain_lr(params: float) -> float:
    points = _PRETRAIN_LR
    if params <= points[0][0]:
        return points[0][1]
    for (p0, lr0), (p1, lr1) in zip(points, points[1:]):
        if params <= p1:
            t = (math.log(params) - math.log(p0)) / (math.log(p1) - math.log(p0))
            return math.exp(math.log(lr0) + t * (math.log(lr1) - math.log(lr0)))
    return points[-1][1]


def _lr_band(setup: dict[str, Any]) -> tuple[float, float, float, str]:
    """(low, typical, high, regime): the usual learning-rate range for this kind of run, and its name.

    - LoRA / QLoRA: 1e-4..3e-4, 2e-4 typical (QLoRA paper, Dettmers et al. 2023, 2e-4 for 7B-13B;
      PEFT docs).
    - Full fine-tuning of T5 with AdamW: 1e-4..3e-4 (the HF T5 docs: "1e-4 and 3e-4 work well for most
      problems"); Adafactor 1e-3 (Raffel et al. 2020).
    - Full fine-tuning of a pretrained transformer (BERT-style): 2e-5..5e-5 (Devlin et al. 2019),
      up to 1e-4; LLMs of a billion parameters or more 1e-5..2e-5 (Alpaca and Llama 2 SFT used 2e-5).
    - Transformers from scratch: the GPT-3 size schedule above, the range 1/10 to 1.5x of it
      (GPT-2 small: 6e-4).
    - SGD with momentum from scratch: 0.1 at batch 256, scaled linearly (Goyal et al. 2017);
      fine-tuning 1e-3..1e-2.
    - Adam from scratch, other models: 1e-3 (Kingma & Ba 2015) with 3e-4 the common safe value
      (Karpathy's "3e-4 is the best learning rate for Adam").
    """
    optimizer = setup.get("optimizer", "adamw")
    family = setup.get("model_family")
    params = setup.get("model_params")
    if setup.get("fine_tuning") in ("lora", "qlora"):
        return 3e-5, 2e-4, 5e-4, "LoRA fine-tuning"
    # a published checkpoint named without `pretrained` is taken to start from its weights (the
    # assumption lr_regime states): people name a catalog model to load it
    published = setup.get("model") in architectures.CATALOG
    assumed = "pretrained" not in setup and published and setup.get("fine_tuning") != "full"
    fine_tuning = setup.get("pretrained", published) or setup.get("fine_tuning") == "full"
    regime = _band_for(setup, optimizer, family, params, fine_tuning)
    return (*regime[:3], regime[3] + (" (assumed: the named model's pretrained weights)" if assumed and fine_tuning
                                      else ""))


def _band_for(setup: dict[str, Any], optimizer: str, family: str | None, params: int | None, fine_tuning: bool
              ) -> tuple[float, float, float, str]:
    if optimizer in ("sgd", "sgd-plain"):
        if fine_tuning:
            return 1e-4, 1e-3, 1e-2, "fine-tuning with SGD"
        scale = setup.get("batch_size", 256) * setup.get("gpu_count", 1) / 256
        return 1e-3 * scale, 0.1 * scale, 0.4 * scale, "SGD from scratch (0.1 per 256 samples)"
    if fine_tuning and _model_name(setup).startswith(_T5_FAMILY):
        if optimizer == "adafactor":
            return 1e-4, 1e-3, 3e-3, "fine-tuning T5 with Adafactor"
        return 3e-5, 1e-4, 3e-4, "fine-tuning T5 with AdamW"
    if fine_tuning and family in (None, "transformer"):
        if params and params >= 1e9:
            return 1e-6, 2e-5, 5e-5, "full fine-tuning of a billion-parameter transformer"
        return 1e-6, 2e-5, 1e-4, "full fine-tuning of a pretrained transformer"
    if fine_tuning:
        return 1e-5, 1e-4, 1e-3, "fine-tuning a pretrained network"
    if family == "transformer":
        # size unknown: the smallest row of the schedule, the most permissive
        typical = _pretrain_lr(params or _PRETRAIN_LR[0][0])
        size = f"{params / 1e6:,.0f}M-parameter" if params else "small (size not given)"
        return typical / 10, typical, typical * 1.5, f"training a {size} transformer from scratch"
    return 1e-5, 3e-4, 3e-3, "Adam from scratch"


@_fact("str", "the kind of run the usual learning-rate range is for (LoRA fine-tuning, T5 with AdamW, …)")
def lr_regime(setup, facts):
    return _lr_band(setup)[3]


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


@_fact("number", "lower end of the usual learning-rate range / learning rate (> 1: below the range)", "lr")
def lr_below_ratio(setup, facts):
    return facts["lr_low"] / setup["lr"]


# Models released in bf16 whose activations exceed fp16's range: T5 (transformers issue #10830, the T5
# fp16 NaN thread; the HF T5 docs), and the Llama/Mistral-era decoders trained in bf16 (their configs'
# torch_dtype). A name's family prefix, after any organisation ("google/flan-t5-base").
BF16_PRETRAINED = ("t5", "flan-t5", "mt5", "byt5", "ul2", "llama", "mistral", "mixtral", "qwen", "gemma", "phi-3",
                   "falcon", "codellama", "olmo", "deepseek")


@_fact("bool", "the model was pretrained in bf16 (T5 family, most current LLMs), so fp16 overflows it", "model")
def pretrained_in_bf16(setup, facts):
    return _model_name(setup).startswith(BF16_PRETRAINED)


# Architectures that normalise each sub-layer's input (pre-LN / pre-RMSNorm) rather than its output: GPT-2
# (Radford et al. 2019, §2.3: "Layer normalization was moved to the input of each sub-block"), GPT-3, T5
# (Raffel et al. 2020, §3.1.1), ViT (Dosovitskiy et al. 2021, Eq. 2-3), Llama and its descendants. BERT,
# RoBERTa and DistilBERT keep the original post-LN.
PRE_LN = ("gpt2", "gpt-2", "gpt-neo", "gpt-j", "t5", "flan-t5", "mt5", "byt5", "ul2", "vit", "llama", "codellama",
          "mistral", "mixtral", "qwen", "gemma", "phi", "falcon", "olmo", "deepseek", "opt", "bloom", "pythia")


@_fact("bool", "the named model already normalises each sub-layer's input (pre-LN: GPT-2, T5, ViT, Llama)",
       "model")
def pre_ln_architecture(setup, facts):
    return _model_name(setup).startswith(PRE_LN)


@_fact("number", "training accuracy minus validation accuracy", "train_accuracy", "val_accuracy")
def accuracy_gap(setup, facts):
    return setup["train_accuracy"] - setup["val_accuracy"]


@_fact("number", "data-loader workers per GPU", "num_workers")
def workers_per_gpu(setup, facts):
    return setup["num_workers"] / setup.get("gpu_count", 1)


@_fact("number", "loss expected at initialisation of a language model: ln(vocabulary size)", "vocab_size")
def lm_initial_loss(setup, facts):
    return math.log(setup["vocab_size"])


@_fact("number", "samples per optimizer step across all GPUs", "batch_size")
def effective_batch(setup, facts):
    return setup["batch_size"] * setup.get("gpu_count", 1)


@_fact("number", "optimizer steps per epoch", "batch_size", "dataset_size")
def steps_per_epoch(setup, facts):
    return max(1, math.ceil(setup["dataset_size"] / facts["effective_batch"]))


@_fact("number", "symptoms declared or detected")
def symptom_count(setup, facts):
    return len(setup.get("symptoms", ()))




@_fact("str", "training precision to use on this card: bf16 where native, else fp16 mixed precision, "
       "fp32 when fp16 already overflows (NaN / diverging loss)", "gpu", choices=("bf16", "fp16", "fp32"))
def recommended_precision(setup, facts):
    if facts.get("bf16_supported"):  # unknown for a card outside the catalog: fp16, the safe assumption
        return "bf16"
    from advisor.estimate import planner  # as in _checkpointed

    return "fp32" if facts["symptoms"] & planner.FP16_TROUBLE else "fp16"


def derive(setup: dict[str, Any]) -> dict[str, Any]:
    """All facts known for a normalised setup; unknown ones are left out.

    A field's fact is its value as plain data: rules compare and show the class ratio as "1:20".
    """
    facts: dict[str, Any] = {"symptoms": frozenset(setup.get("symptoms", ())),
                             "tried": frozenset(setup.get("tried", ()))}
    for name, spec in SPECS.items():
        if spec.compute is None:
            # a choice of "other" names none of the listed values: unknown to the rules, never a mismatch
            if name in setup and name not in facts and setup[name] != fields.UNKNOWN_CHOICE:
                facts[name] = fields.BY_NAME[name].plain(setup[name])
        elif spec.requires <= facts.keys():
            value = spec.compute(setup, facts)
            if value is not None:  # a fact its inputs cannot settle (bf16 of a card outside the catalog)
                facts[name] = value
    return facts
