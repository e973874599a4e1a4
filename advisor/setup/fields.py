"""The setup: one flat table of fields, each a CLI flag and a setup-file key.

This table is the single description of the input contract: the CLI builds its
flags from it, the pydantic `Setup` model is generated from it, and the facts
module registers every field as a fact rules can name.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

from advisor.setup import architectures, gpus, modelconfig, units
from advisor.rulebook.location import strategy_ids
from advisor import files
from advisor.errors import InputError

MODEL_FAMILIES = ("transformer", "cnn", "rnn", "mlp", "tree", "other")
TASKS = ("classification", "detection", "segmentation", "language-modeling", "seq2seq", "regression", "survival",
         "ranking", "forecasting", "generation", "other")
MODALITIES = ("image", "text", "tabular", "audio", "time-series", "video", "graph", "other")
OOM_PHASES = ("loading", "first-step", "evaluation", "growing")
# Choice values that say "none of the listed ones": read by the rules as unknown, never as a mismatch.
UNKNOWN_CHOICE = "other"
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
             "object-detection": "detection", "classify": "classification", "segment": "segmentation",
             "time-to-event": "survival", "learning-to-rank": "ranking", "recommendation": "ranking",
             "time-series-forecasting": "forecasting", "image-generation": "generation", "diffusion": "generation",
             "gan": "generation", "tabular-regression": "regression", "tabular-classification": "classification"},
    "modality": {"images": "image", "vision": "image", "nlp": "text", "language": "text", "tables": "tabular",
                 "speech": "audio", "timeseries": "time-series", "time-series-data": "time-series", "graphs": "graph"},
    "oom_phase": {"load": "loading", "model-loading": "loading", "from-pretrained": "loading",
                  "first-batch": "first-step", "step-1": "first-step", "start": "first-step",
                  "eval": "evaluation", "validation": "evaluation", "grows": "growing", "later": "growing",
                  "after-some-steps": "growing", "leak": "growing"},
    "tried": {"lora": "parameter-efficient-finetuning", "qlora": "parameter-efficient-finetuning",
              "peft": "parameter-efficient-finetuning", "fsdp": "sharded-training", "deepspeed": "sharded-training",
              "zero": "sharded-training", "clipping": "gradient-clipping", "grad-clipping": "gradient-clipping",
              "warmup": "lr-warmup-schedule", "amp": "mixed-precision", "fp16": "mixed-precision",
              "bf16": "mixed-precision", "dp-sgd": "differential-privacy", "class-weights": "class-weighting",
              "augmentation": "data-augmentation", "checkpointing": "gradient-checkpointing",
              "early-stop": "early-stopping", "ddp": "distributed-data-parallel", "offload": "cpu-offload",
              "oversampling": "resampling", "undersampling": "resampling", "smote": "synthetic-minority",
              "lower-lr": "lr-reduction", "lr-decay": "lr-reduction", "smaller-batch": "reduce-batch-size",
              "accumulation": "gradient-accumulation", "8bit-optimizer": "memory-efficient-optimizer"},
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


class Field(NamedTuple):
    name: str
    kind: str  # "number" | "int" | "str" | "bool" | "set" | "ratio"
    help: str
    parse: Callable[[Any], Any]
    choices: tuple[str, ...] = ()
    flag: str = ""
    unit: str = ""
    minimum: float | None = None   # plausible range of a number; the parser and the JSON Schema both read it
    maximum: float | None = None
    # The documented setup-file key when it differs from `name`, the normalised name (`gpu_mem_gb` is the
    # product's key, `gpu_mem_gib` the normalised one that says its unit). Both are accepted as input;
    # messages name this one, as users write it.
    input_key: str = ""
    # The normalised value as plain data, for what shows a setup (JSON output, facts, the library's Setup),
    # when it is not plain data itself; parse reads that form back.
    show: Callable[[Any], Any] | None = None
    # Known values of an open field (any name is accepted; these are the catalog's): shown, not enforced.
    examples: tuple[str, ...] = ()

    def plain(self, value: Any) -> Any:
        return self.show(value) if self.show is not None else value

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str:
        return self.input_key or self.name

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key a setup may give this field under."""
        return (self.key, self.name) if self.input_key else (self.name,)


def _count(name: str, help: str, minimum: int, maximum: int, *, suffixes: bool, **extra: Any) -> Field:
    """An integer field: its range is declared here once, for the parser and the schema."""
    parse = partial(units.parse_count, minimum=minimum, maximum=maximum, suffixes=suffixes)
    return Field(name, "int", help, parse, minimum=minimum, maximum=maximum, **extra)


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    return partial(units.parse_choice, choices=choices, aliases=_ALIASES.get(name))


def _id_set(name: str, choices: tuple[str, ...], what: str) -> Callable[[Any], tuple[str, ...]]:
    """A repeatable choice field (`--symptom`, `--tried`): a list, or ids separated by commas or spaces."""
    parse = _choice(name, choices)

    def parse_set(raw: Any) -> tuple[str, ...]:
        items = raw.replace(",", " ").split() if isinstance(raw, str) else raw
        if not isinstance(items, (list, tuple, set, frozenset)):
            raise ValueError(f"{units.shown(raw)} is not a list of {what}")
        return tuple(sorted({parse(item) for item in items}))
    return parse_set


def _fraction(raw: Any) -> float:
    """An accuracy: 0.93 or 93%."""
    text = str(raw).strip()
    percent = text.endswith("%")
    value = units.parse_positive_float(text.rstrip("%") if percent else raw, what="fraction", zero=True)
    value = value / 100 if percent else value
    if value > 1:
        raise ValueError(f"{units.shown(raw)} is more than 1; use a fraction like 0.93 or a percentage like 93%")
    return value


MAX_LOSS = 1e12  # far above any real loss (a diverged survival model logged 2.8e10), finite in every fact


def _loss(raw: Any) -> float:
    return units.parse_positive_float(raw, what="loss value", maximum=MAX_LOSS, zero=True)


# Plausible bounds: far beyond any real run, small enough that every estimate stays a finite float.
MAX_SAMPLES = 10**13       # training samples (or tokens) in a data set
MAX_PARAMS = 10**14        # 100T parameters
MAX_CLASSES = 10**7        # extreme classification reaches millions of labels
MAX_LISTED_CLASSES = 10_000  # classes whose counts are written out one by one


def _class_counts(raw: Any) -> tuple[int, ...]:
    accepted = "use samples per class like 900,80,20"
    items = raw.replace(":", ",").replace(" ", ",").split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{units.shown(raw)} is not a list of class counts; {accepted}")
    items = [item for item in items if str(item).strip()]
    if len(items) > MAX_LISTED_CLASSES:
        raise ValueError(f"{len(items):,} class counts are more than the {MAX_LISTED_CLASSES:,} accepted; {accepted}")
    counts = tuple(units.parse_count(item, maximum=MAX_SAMPLES) for item in items)
    if len(counts) < 2:
        raise ValueError(f"{units.shown(raw)} names fewer than two classes; {accepted}")
    if max(counts) > units.MAX_IMBALANCE * min(counts):  # the class ratio they imply must be one advisor reads
        raise ValueError(f"{units.shown(raw)}: the largest class is more than {units.MAX_IMBALANCE:,.0f} times "
                         f"the smallest; {accepted}")
    return counts


def _ratio(raw: Any) -> units.Ratio:
    # canonical (1:imbalance to six digits): the ratio used is the one the setup shows as "1:20"
    return units.parse_ratio(raw).canonical()


def _show_counts(counts: tuple[int, ...]) -> str:
    return ",".join(map(str, counts))


FIELDS: tuple[Field, ...] = (
    Field("gpu", "str", "GPU model (a100-80gb, rtx4090, t4, …); a catalog card fills gpu_mem_gb and bf16 "
          "support, another needs gpu_mem_gb", gpus.canonical, examples=tuple(gpus.CATALOG)),
    Field("gpu_mem_gib", "number", "memory of one GPU in GiB: 24, 24GB, 80GiB, 512MiB (GB is the card's size "
          "as sold, read as GiB: an \"80 GB\" A100 has 80 GiB)",
          partial(units.parse_memory_gib, minimum=1.0, maximum=4096.0), flag="--gpu-mem", unit="GiB",
          minimum=1.0, maximum=4096.0, input_key="gpu_mem_gb"),
    _count("gpu_count", "GPUs available", 1, 100_000, suffixes=False, flag="--gpus"),
    _count("model_params", "parameter count (350M, 7B, 1.3e9)", 1, MAX_PARAMS, suffixes=True),
    Field("model_family", "str", "model family", _choice("model_family", MODEL_FAMILIES), MODEL_FAMILIES),
    Field("task", "str", "task", _choice("task", TASKS), TASKS),
    _count("dataset_size", "training samples (50k, 1.2M)", 1, MAX_SAMPLES, suffixes=True),
    _count("num_classes", "number of classes", 2, MAX_CLASSES, suffixes=True),
    Field("class_ratio", "ratio", "class ratio minority:majority (1:20, 20:1, 5%)", _ratio, flag="--imbalance",
          show=str),
    Field("precision", "str", "training precision", _choice("precision", PRECISIONS), PRECISIONS),
    _count("batch_size", "per-device micro-batch", 1, 10**7, suffixes=True),
    _count("seq_len", "tokens per sample (2048, 128k)", 1, 10**8, suffixes=True),
    _count("image_size", "pixels per image side", 1, 100_000, suffixes=False),
    Field("optimizer", "str", "optimizer", _choice("optimizer", OPTIMIZERS), OPTIMIZERS),
    Field("lr", "number", "learning rate (3e-4)", partial(units.parse_positive_float, what="learning rate",
                                                          minimum=1e-12, maximum=100.0), minimum=1e-12, maximum=100.0),
    Field("framework", "str", "framework the code snippets are written for", _choice("framework", FRAMEWORKS), FRAMEWORKS),
    Field("pretrained", "bool", "a pretrained checkpoint is available / used", units.parse_bool),
    Field("fine_tuning", "str", "fine-tuning method", _choice("fine_tuning", FINE_TUNING), FINE_TUNING),
    Field("activation", "str", "hidden-layer activation", _choice("activation", ACTIVATIONS), ACTIVATIONS),
    _count("depth", "number of layers", 1, 100_000, suffixes=False),
    Field("gradient_checkpointing", "bool", "gradient checkpointing is already on", units.parse_bool),
    Field("symptoms", "set", "symptom id (repeatable)", _id_set("symptoms", SYMPTOMS, "symptom ids"), SYMPTOMS,
          flag="--symptom", show=sorted),
    Field("tried", "set", "a fix already in use or tried: strategy id (repeatable; lora, fsdp, warmup, amp… "
          "accepted)", _id_set("tried", strategy_ids(), "strategy ids"), strategy_ids(), show=sorted),
    Field("oom_phase", "str", "where the out-of-memory happens", _choice("oom_phase", OOM_PHASES), OOM_PHASES),
    Field("loss_start", "number", "training loss at the start (2.3)", _loss, minimum=0.0, maximum=MAX_LOSS),
    Field("loss_now", "number", "training loss now", _loss, minimum=0.0, maximum=MAX_LOSS),
    Field("val_loss", "number", "validation loss now", _loss, minimum=0.0, maximum=MAX_LOSS),
    Field("train_accuracy", "number", "training accuracy now (0.93 or 93%)", _fraction, minimum=0.0, maximum=1.0),
    Field("val_accuracy", "number", "validation accuracy now (0.81 or 81%)", _fraction, minimum=0.0, maximum=1.0),
    _count("epochs", "epochs trained or planned", 1, 10**7, suffixes=False),
    _count("global_batch_size", "samples per optimizer step over all GPUs (micro-batch × accumulation × GPUs)",
           1, 10**9, suffixes=True),
    _count("num_workers", "data-loader worker processes", 0, 10_000, suffixes=False),
    _count("cpu_cores", "CPU cores of the machine", 1, 100_000, suffixes=False),
    Field("modality", "str", "data modality", _choice("modality", MODALITIES), MODALITIES),
    _count("vocab_size", "vocabulary size of a language model (32000)", 2, 10**8, suffixes=True),
    Field("contains_pii", "bool", "the data holds personal information", units.parse_bool, flag="--pii"),
    Field("needs_interpretability", "bool", "predictions must be explained", units.parse_bool),
    Field("model", "str", "a model name or hub id (llama-2-7b, meta-llama/Llama-2-7b-hf, bert-base, resnet50, …); "
          "a catalog model fills model_params, model_family and depth, another name is read for its size and "
          "family", architectures.canonical, examples=tuple(architectures.CATALOG)),
    Field("model_config", "str", "path of a local Hugging Face config.json describing the model",
          modelconfig.parse_path),
    Field("mode", "str", "what the memory estimate is for", _choice("mode", MODES), MODES),
    _count("zero_stage", "ZeRO stage / FSDP sharding across the GPUs (0-3; 3 = FSDP full sharding)", 0, 3,
           suffixes=False),
    Field("offload", "str", "what DeepSpeed/FSDP offloads to CPU memory", _choice("offload", OFFLOAD), OFFLOAD),
    _count("lora_rank", "LoRA rank r", 1, 65_536, suffixes=False),
    Field("lora_targets", "str", "matrices LoRA adapts", _choice("lora_targets", LORA_TARGETS), LORA_TARGETS),
    Field("class_counts", "str", "training samples per class (900,80,20); fills class_ratio and num_classes",
          _class_counts, show=_show_counts),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
BY_KEY: dict[str, Field] = {key: f for f in FIELDS for key in f.keys}
KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS)  # the documented setup keys


def field_for(key: object) -> Field | None:
    """The field a setup key names (`-` read as `_`), under its documented key or its normalised name."""
    return BY_KEY.get(str(key).replace("-", "_"))


def normalize_setup(raw: dict[str, Any], *, where: str = "") -> dict[str, Any]:
    """Validate and normalise a setup dict; every key optional, unknown keys rejected.

    Returns only the fields that were given (None values count as not given),
    under their normalised names, as typed values (a units.Ratio, a tuple of
    class counts, memory in GiB; `as_data` shows them as plain data), plus what
    a catalog card, a model or class counts imply. A normalised setup is valid
    input again.
    Raises InputError naming the field. A field given under both of its keys
    (`gpu_mem_gb` and `gpu_mem_gib`) takes the later value: the CLI lays its
    flags over the setup file's values that way.
    """
    prefix = f"{where}: " if where else ""
    setup: dict[str, Any] = {}
    for key, value in raw.items():
        field = field_for(key)
        if field is None:
            name = str(key).replace("-", "_")
            raise InputError(files.shown(key), f"{prefix}unknown setup key{units.nearest(name, KEYS)}"
                             f" (known keys: {', '.join(KEYS)})")
        if value is None or (field.kind == "set" and value == []):
            continue
        try:
            setup[field.name] = field.parse(value)
        except ValueError as exc:
            raise InputError(field.key, f"{prefix}{exc}") from None
    if "gpu" in setup:
        card = gpus.card(setup["gpu"])
        if card is not None:
            setup.setdefault("gpu_mem_gib", float(card.memory_gib))
        elif "gpu_mem_gib" not in setup:
            raise InputError("gpu", f"{prefix}{setup['gpu']!r} is not in the GPU catalog and its name states no "
                                    f"memory; give gpu_mem_gb too (or a catalog card: {', '.join(list(gpus.CATALOG)[:6])}, …)")
    modelconfig.fill_setup(setup)
    counts = setup.get("class_counts")
    if counts:
        setup.setdefault("class_ratio", units.Ratio(min(counts), max(counts)).canonical())
        setup.setdefault("num_classes", len(counts))
    return {f.name: setup[f.name] for f in FIELDS if f.name in setup}


def as_data(setup: dict[str, Any]) -> dict[str, Any]:
    """A normalised setup as plain data, the form the JSON output and the library's Setup show."""
    return {name: BY_NAME[name].plain(value) for name, value in setup.items()}
