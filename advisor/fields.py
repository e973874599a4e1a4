"""The setup: one flat table of fields, each a CLI flag and a setup-file key.

This table is the single description of the input contract: the CLI builds its
flags from it, the pydantic `Setup` model is generated from it, and the facts
module registers every field as a fact rules can name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from . import architectures, gpus, modelconfig, units
from .errors import InputError

MODEL_FAMILIES = ("transformer", "cnn", "rnn", "mlp", "tree", "other")
TASKS = ("classification", "detection", "segmentation", "language-modeling", "seq2seq", "regression", "other")
PRECISIONS = ("fp32", "fp16", "bf16", "bf16-pure", "int8", "4bit")
OPTIMIZERS = ("sgd", "sgd-plain", "adam", "adamw", "adamw-8bit", "adafactor", "other")
MODES = ("training", "inference")
OFFLOAD = ("none", "optimizer", "all")
LORA_TARGETS = ("qv", "attention", "all-linear")
FRAMEWORKS = ("pytorch", "keras", "tensorflow", "huggingface", "lightning", "sklearn")
FINE_TUNING = ("full", "lora", "qlora", "none")
ACTIVATIONS = ("relu", "gelu", "sigmoid", "tanh", "other")
SYMPTOMS = (
    "diverging-loss", "nan-loss", "loss-plateau", "oscillating-loss", "overfitting", "underfitting",
    "vanishing-gradients", "exploding-gradients", "out-of-memory", "slow-training", "low-gpu-utilization",
    "minority-class-ignored", "unstable-training", "poor-generalization", "black-box-concern",
)

_ALIASES = {
    "gpu": gpus.ALIASES,
    "task": {"lm": "language-modeling", "causal-lm": "language-modeling", "language-modelling": "language-modeling",
             "text-generation": "language-modeling", "translation": "seq2seq", "summarization": "seq2seq",
             "object-detection": "detection", "classify": "classification", "segment": "segmentation"},
    "model_family": {"llm": "transformer", "vit": "transformer", "bert": "transformer", "gpt": "transformer",
                     "conv": "cnn", "convnet": "cnn", "resnet": "cnn", "lstm": "rnn", "gru": "rnn",
                     "gbdt": "tree", "xgboost": "tree", "lightgbm": "tree", "random-forest": "tree", "mlp": "mlp"},
    "precision": {"float32": "fp32", "full": "fp32", "float16": "fp16", "half": "fp16", "bfloat16": "bf16",
                  "pure-bf16": "bf16-pure", "bf16-true": "bf16-pure", "amp": "bf16",
                  "8bit": "int8", "int4": "4bit", "nf4": "4bit", "fp4": "4bit"},
    "optimizer": {"adam-w": "adamw", "sgd-momentum": "sgd", "momentum": "sgd", "adam8bit": "adamw-8bit",
                  "adamw8bit": "adamw-8bit", "8bit-adam": "adamw-8bit", "adam-8bit": "adamw-8bit",
                  "paged-adamw-8bit": "adamw-8bit", "sgd-no-momentum": "sgd-plain", "vanilla-sgd": "sgd-plain"},
    "mode": {"train": "training", "inference": "inference", "infer": "inference", "serving": "inference"},
    "offload": {"no": "none", "false": "none", "cpu": "optimizer", "optimizer-cpu": "optimizer", "params": "all",
                "full": "all"},
    "lora_targets": {"q-v": "qv", "q,v": "qv", "attn": "attention", "all": "all-linear", "linear": "all-linear"},
    "framework": {"torch": "pytorch", "tf": "tensorflow", "hf": "huggingface", "transformers": "huggingface",
                  "pl": "lightning", "pytorch-lightning": "lightning", "scikit-learn": "sklearn", "keras3": "keras"},
    "fine_tuning": {"no": "none", "false": "none", "full-finetuning": "full", "qlora-4bit": "qlora", "peft": "lora"},
    "activation": {"leaky-relu": "relu", "silu": "other", "swish": "other", "softmax": "other"},
    "symptoms": {"oom": "out-of-memory", "cuda-oom": "out-of-memory", "nan": "nan-loss", "inf-loss": "nan-loss",
                 "divergence": "diverging-loss", "plateau": "loss-plateau", "overfit": "overfitting",
                 "underfit": "underfitting", "slow": "slow-training", "low-gpu-util": "low-gpu-utilization",
                 "exploding-gradient": "exploding-gradients", "vanishing-gradient": "vanishing-gradients",
                 "imbalance": "minority-class-ignored", "unstable": "unstable-training"},
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "number" | "int" | "str" | "bool" | "set" | "ratio"
    help: str
    parse: Callable[[Any], Any]
    choices: tuple[str, ...] = ()
    flag: str = ""
    unit: str = ""

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    return partial(units.parse_choice, choices=choices, aliases=_ALIASES.get(name))


def _symptoms(raw: Any) -> tuple[str, ...]:
    items = raw.replace(",", " ").split() if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise ValueError(f"{raw!r} is not a list of symptom ids")
    parse = _choice("symptoms", SYMPTOMS)
    return tuple(sorted({parse(item) for item in items}))


def _class_counts(raw: Any) -> tuple[int, ...]:
    items = raw.replace(":", ",").replace(" ", ",").split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{raw!r} is not a list of class counts; use samples per class like 900,80,20")
    counts = tuple(units.parse_count(item) for item in items if str(item).strip())
    if len(counts) < 2:
        raise ValueError(f"{raw!r} names fewer than two classes; use samples per class like 900,80,20")
    return counts


def _zero_stage(raw: Any) -> int:
    stage = units.parse_count(raw, minimum=0)
    if stage > 3:
        raise ValueError(f"{raw!r} is not a ZeRO stage; use 0, 1, 2 or 3 (3 = FSDP full sharding)")
    return stage


def _ratio(raw: Any) -> str:
    return units.format_ratio(*units.parse_ratio(raw))


FIELDS: tuple[Field, ...] = (
    Field("gpu", "str", "GPU model from the built-in catalog; fills gpu_mem_gb and bf16 support",
          _choice("gpu", tuple(gpus.CATALOG)), tuple(gpus.CATALOG)),
    Field("gpu_mem_gb", "number", "memory of one GPU (8, 8GB, 80GiB)", units.parse_memory_gb, flag="--gpu-mem", unit="GB"),
    Field("gpu_count", "int", "GPUs available", units.parse_count, flag="--gpus"),
    Field("model_params", "int", "parameter count (350M, 7B, 1.3e9)", units.parse_count),
    Field("model_family", "str", "model family", _choice("model_family", MODEL_FAMILIES), MODEL_FAMILIES),
    Field("task", "str", "task", _choice("task", TASKS), TASKS),
    Field("dataset_size", "int", "training samples (50k, 1.2M)", units.parse_count),
    Field("num_classes", "int", "number of classes", partial(units.parse_count, minimum=2)),
    Field("class_ratio", "ratio", "class ratio minority:majority (1:20, 20:1, 5%)", _ratio, flag="--imbalance"),
    Field("precision", "str", "training precision", _choice("precision", PRECISIONS), PRECISIONS),
    Field("batch_size", "int", "per-device micro-batch", units.parse_count),
    Field("seq_len", "int", "tokens per sample", units.parse_count),
    Field("image_size", "int", "pixels per image side", units.parse_count),
    Field("optimizer", "str", "optimizer", _choice("optimizer", OPTIMIZERS), OPTIMIZERS),
    Field("lr", "number", "learning rate (3e-4)", partial(units.parse_positive_float, what="learning rate", maximum=100.0)),
    Field("framework", "str", "framework the code snippets are written for", _choice("framework", FRAMEWORKS), FRAMEWORKS),
    Field("pretrained", "bool", "a pretrained checkpoint is available / used", units.parse_bool),
    Field("fine_tuning", "str", "fine-tuning method", _choice("fine_tuning", FINE_TUNING), FINE_TUNING),
    Field("activation", "str", "hidden-layer activation", _choice("activation", ACTIVATIONS), ACTIVATIONS),
    Field("depth", "int", "number of layers", units.parse_count),
    Field("gradient_checkpointing", "bool", "gradient checkpointing is already on", units.parse_bool),
    Field("symptoms", "set", "symptom id (repeatable)", _symptoms, SYMPTOMS, flag="--symptom"),
    Field("contains_pii", "bool", "the data holds personal information", units.parse_bool, flag="--pii"),
    Field("needs_interpretability", "bool", "predictions must be explained", units.parse_bool),
    Field("model", "str", "a model from the built-in catalog (llama-2-7b, bert-base, resnet50, …); fills "
          "model_params, model_family and depth", architectures.canonical, tuple(architectures.CATALOG)),
    Field("model_config", "str", "path of a local Hugging Face config.json describing the model",
          modelconfig.parse_path),
    Field("mode", "str", "what the memory estimate is for", _choice("mode", MODES), MODES),
    Field("zero_stage", "int", "ZeRO stage / FSDP sharding across the GPUs (0-3)", _zero_stage),
    Field("offload", "str", "what DeepSpeed/FSDP offloads to CPU memory", _choice("offload", OFFLOAD), OFFLOAD),
    Field("lora_rank", "int", "LoRA rank r", units.parse_count),
    Field("lora_targets", "str", "matrices LoRA adapts", _choice("lora_targets", LORA_TARGETS), LORA_TARGETS),
    Field("class_counts", "str", "training samples per class (900,80,20); fills class_ratio and num_classes",
          lambda raw: ",".join(map(str, _class_counts(raw)))),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}


def normalize_setup(raw: dict[str, Any], *, where: str = "") -> dict[str, Any]:
    """Validate and normalise a setup dict; every key optional, unknown keys rejected.

    Returns only the fields that were given (None values count as not given),
    plus what a catalog card name implies. Raises InputError naming the field.
    """
    prefix = f"{where}: " if where else ""
    setup: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).replace("-", "_")
        field = BY_NAME.get(name)
        if field is None:
            raise InputError(str(key), f"{prefix}unknown setup key{units.nearest(name, BY_NAME)}"
                             f" (known keys: {', '.join(BY_NAME)})")
        if value is None or (field.kind == "set" and value == []):
            continue
        try:
            setup[name] = field.parse(value)
        except ValueError as exc:
            raise InputError(name, f"{prefix}{exc}") from None
    card = gpus.CATALOG.get(setup.get("gpu", ""))
    if card is not None:
        setup.setdefault("gpu_mem_gb", float(card.memory_gb))
    modelconfig.fill_setup(setup)
    return {f.name: setup[f.name] for f in FIELDS if f.name in setup}
