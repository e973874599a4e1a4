"""Config families: which key of which library's config holds which recommended value.

Families: Hugging Face TrainingArguments, axolotl and torchtune YAML recipes,
Lightning / LightningCLI, DeepSpeed JSON, and plain keys.

A pattern is a suffix of a value's key path, so `batch_size` matches
`data.batch_size` and LightningCLI's `data.init_args.batch_size`; the longest
matching pattern wins. The family's own table comes first, then plain keys.
Keys listed in NATIVE_AUTO take `auto` as a value their library resolves
itself (Lightning's `devices: auto`), so they are left alone.
"""

from __future__ import annotations

from typing import Any

FAMILIES = ("huggingface", "axolotl", "torchtune", "lightning", "deepspeed", "plain")

PLAIN: dict[tuple[str, ...], str] = {
    ("batch_size",): "micro_batch",
    ("micro_batch_size",): "micro_batch",
    ("per_device_batch_size",): "micro_batch",
    ("per_device_train_batch_size",): "micro_batch",
    ("gradient_accumulation_steps",): "grad_accum",
    ("grad_accum",): "grad_accum",
    ("grad_accum_steps",): "grad_accum",
    ("accumulate_grad_batches",): "grad_accum",
    ("fp16",): "fp16",
    ("bf16",): "bf16",
    ("tf32",): "tf32",
    ("precision",): "precision",
    ("mixed_precision",): "accelerate_precision",  # accelerate's config: no | fp16 | bf16
    ("gradient_checkpointing",): "gradient_checkpointing",
    ("lr",): "learning_rate",
    ("learning_rate",): "learning_rate",
    ("class_weights",): "class_weights",
    ("class_weight",): "class_weights",
    ("pos_weight",): "pos_weight",
    ("zero_stage",): "zero_stage",
    ("eval_batch_size",): "eval_micro_batch",
    ("global_batch_size",): "global_batch",
    ("num_workers",): "num_workers",
    ("dataloader_num_workers",): "num_workers",
}

# transformers.TrainingArguments
HUGGINGFACE: dict[tuple[str, ...], str] = {
    ("per_device_train_batch_size",): "micro_batch",
    ("per_device_eval_batch_size",): "eval_micro_batch",
    ("per_gpu_train_batch_size",): "micro_batch",
    ("gradient_accumulation_steps",): "grad_accum",
    ("fp16",): "fp16",
    ("bf16",): "bf16",
    ("tf32",): "tf32",
    ("gradient_checkpointing",): "gradient_checkpointing",
    ("learning_rate",): "learning_rate",
    ("optim",): "hf_optim",
    ("dataloader_num_workers",): "num_workers",
}

# axolotl YAML (https://docs.axolotl.ai/docs/config-reference.html)
AXOLOTL: dict[tuple[str, ...], str] = {
    ("micro_batch_size",): "micro_batch",
    ("eval_batch_size",): "eval_micro_batch",
    ("gradient_accumulation_steps",): "grad_accum",
    ("fp16",): "fp16",
    ("bf16",): "bf16",
    ("tf32",): "tf32",
    ("gradient_checkpointing",): "gradient_checkpointing",
    ("learning_rate",): "learning_rate",
    ("optimizer",): "hf_optim",  # axolotl passes it to TrainingArguments.optim
    ("dataloader_num_workers",): "num_workers",
}

# torchtune recipe YAML (recipes/configs/*: one `dtype`, activation checkpointing, optimizer component)
TORCHTUNE: dict[tuple[str, ...], str] = {
    ("batch_size",): "micro_batch",
    ("batch_size_val",): "eval_micro_batch",
    ("gradient_accumulation_steps",): "grad_accum",
    ("dtype",): "torchtune_dtype",
    ("enable_activation_checkpointing",): "gradient_checkpointing",
    ("optimizer", "lr"): "learning_rate",
}

# lightning.Trainer arguments and LightningCLI configs (trainer / model / data / optimizer sections)
LIGHTNING: dict[tuple[str, ...], str] = {
    ("precision",): "lightning_precision",
    ("accumulate_grad_batches",): "grad_accum",
    ("batch_size",): "micro_batch",
    ("lr",): "learning_rate",
    ("learning_rate",): "learning_rate",
}

# DeepSpeed JSON config
DEEPSPEED: dict[tuple[str, ...], str] = {
    ("train_micro_batch_size_per_gpu",): "micro_batch",
    ("gradient_accumulation_steps",): "grad_accum",
    ("train_batch_size",): "global_batch",
    ("fp16", "enabled"): "fp16",
    ("bf16", "enabled"): "bf16",
    ("bfloat16", "enabled"): "bf16",
    ("zero_optimization", "stage"): "zero_stage",
    ("zero_optimization", "offload_optimizer", "device"): "offload_device",
    ("gradient_clipping",): "ds_clipping",
    ("optimizer", "params", "lr"): "learning_rate",
    ("optimizer", "params", "betas"): "ds_betas",
    ("optimizer", "params", "eps"): "ds_eps",
    ("optimizer", "params", "weight_decay"): "ds_weight_decay",
    ("scheduler", "params", "warmup_min_lr"): "ds_warmup_min_lr",
    ("scheduler", "params", "warmup_max_lr"): "learning_rate",
    ("scheduler", "params", "warmup_num_steps"): "ds_warmup_steps",
    ("scheduler", "params", "total_num_steps"): "ds_total_steps",
    ("zero_optimization", "reduce_bucket_size"): "ds_reduce_bucket",
    ("zero_optimization", "stage3_prefetch_bucket_size"): "ds_prefetch_bucket",
    ("zero_optimization", "stage3_param_persistence_threshold"): "ds_persistence",
}

TABLES = {"huggingface": HUGGINGFACE, "axolotl": AXOLOTL, "torchtune": TORCHTUNE, "lightning": LIGHTNING,
          "deepspeed": DEEPSPEED, "plain": PLAIN}

NATIVE_AUTO: dict[str, frozenset[tuple[str, ...]]] = {
    "lightning": frozenset({("accelerator",), ("devices",), ("strategy",)}),
    "huggingface": frozenset({("half_precision_backend",)}),
}

_SIGNS = {
    "deepspeed": {"train_micro_batch_size_per_gpu", "train_batch_size", "zero_optimization"},
    "torchtune": {"checkpointer", "metric_logger", "enable_activation_checkpointing", "log_peak_memory_stats"},
    "axolotl": {"base_model", "micro_batch_size", "sequence_len", "num_epochs", "val_set_size"},
    "lightning": {"trainer", "seed_everything", "ckpt_path", "accumulate_grad_batches", "max_epochs", "accelerator",
                  "num_nodes"},
    "huggingface": {"per_device_train_batch_size", "per_device_eval_batch_size", "output_dir", "num_train_epochs",
                    "eval_strategy", "evaluation_strategy", "save_strategy", "logging_steps"},
}


def detect(top_keys: set[str]) -> str:
    """The family a config belongs to, from its top-level keys."""
    for family in ("deepspeed", "torchtune", "axolotl", "lightning", "huggingface"):
        if top_keys & _SIGNS[family]:
            return family
    return "plain"


def _suffix_match(table: dict[tuple[str, ...], Any], keys: tuple[str, ...]) -> tuple[int, Any] | None:
    best = None
    for pattern, value in table.items():
        n = len(pattern)
        if keys[-n:] == pattern and (best is None or n > best[0]):
            best = (n, value)
    return best


def knob_for(family: str, path: tuple) -> str | None:
    """The recommended value a key holds, or None when advisor has no advice for it."""
    keys = tuple(p for p in path if isinstance(p, str))
    if family == "huggingface" and keys[:1] == ("deepspeed",):  # TrainingArguments(deepspeed={...})
        family, keys = "deepspeed", keys[1:]
    for table in (TABLES[family], PLAIN):
        found = _suffix_match(table, keys)
        if found:
            return found[1]
    return None


def is_native_auto(family: str, path: tuple) -> bool:
    keys = tuple(p for p in path if isinstance(p, str))
    return any(keys[-len(p):] == p for p in NATIVE_AUTO.get(family, ()))
