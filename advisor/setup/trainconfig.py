"""The setup facts a training config already holds, so a team describes its run once.

`advisor diagnose|memory|fill --config train.yaml` reads the model name, learning
rate, batch sizes, precision, checkpointing, sequence length, LoRA settings,
ZeRO stage and GPU count from a Hugging Face TrainingArguments, axolotl,
torchtune, Lightning / LightningCLI or DeepSpeed config. Values left `auto` are
not facts (they are what `fill` chooses). The setup file and the flags override
what the config says; `merge` reports each conflict in one line.

Which key holds which fact is a table per family, matched on the end of the key
path like fill's knob tables (fill/families.py decides the family).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from advisor import files
from advisor.errors import InputError
from advisor.setup import fields, units

# Fields that describe one thing together: a higher layer that gives any of them replaces the config's.
GROUPS = (frozenset({"model", "model_params", "model_config", "model_family", "depth"}),
          frozenset({"gpu", "gpu_mem_gib"}))


def _precision_flag(name: str) -> Callable[[Any], str | None]:
    """`bf16: true` → bf16; `false` says only what the precision is not."""
    return lambda raw: name if units.parse_bool(raw) else None


def _lightning_precision(raw: Any) -> str | None:
    text = str(raw).strip().lower()
    if text.startswith("bf16"):
        return "bf16-pure" if text == "bf16-true" else "bf16"
    if text.startswith("16"):
        return "fp16"
    return "fp32" if text.startswith(("32", "64")) else None


def _offload(raw: Any) -> str | None:
    return "optimizer" if str(raw).strip().lower() in ("cpu", "nvme") else None


def _adapter(raw: Any) -> str | None:
    text = str(raw).strip().lower()
    return text if text in ("lora", "qlora") else None


def _optimizer(raw: Any) -> str | None:
    text = str(raw).strip().lower().replace("-", "_")
    if "8bit" in text:
        return "adamw-8bit"
    if "adamw" in text:
        return "adamw"
    if text.endswith("adam") or text == "adam":
        return "adam"
    return "sgd" if text.endswith("sgd") else None


def _torchtune_model(raw: Any) -> str | None:
    """torchtune names its builders `torchtune.models.llama3_2.lora_llama3_2_1b`: the model is the tail."""
    tail = str(raw).rsplit(".", 1)[-1]
    for prefix in ("qlora_", "lora_"):
        tail = tail.removeprefix(prefix)
    return tail.replace("_", "-").replace("llama3-2", "llama-3.2").replace("llama3-1", "llama-3.1") \
        .replace("llama3", "llama-3").replace("qwen2-5", "qwen2.5")


def _torchtune_method(raw: Any) -> str | None:
    tail = str(raw).rsplit(".", 1)[-1]
    return "qlora" if tail.startswith("qlora_") else "lora" if tail.startswith("lora_") else None


def _same(raw: Any) -> Any:
    return raw


# key-path suffix → (setup field, converter returning the raw setup value or None when it says nothing),
# or a tuple of such pairs when one key says several things (torchtune's `lora_llama3_2_1b` builder)
Table = dict[tuple[str, ...], Any]
# (field, earlier value, later value) where the later one refines the earlier instead of contradicting it
_REFINES = {("fine_tuning", "lora", "qlora"), ("fine_tuning", "qlora", "lora")}

COMMON: Table = {
    ("learning_rate",): ("lr", _same),
    ("lr",): ("lr", _same),
    ("gradient_checkpointing",): ("gradient_checkpointing", _same),
    ("bf16",): ("precision", _precision_flag("bf16")),
    ("fp16",): ("precision", _precision_flag("fp16")),
    ("lora_r",): ("lora_rank", _same),
    ("lora_rank",): ("lora_rank", _same),
    ("dataloader_num_workers",): ("num_workers", _same),
    ("num_workers",): ("num_workers", _same),
}

TABLES: dict[str, Table] = {
    "huggingface": {
        ("model_name_or_path",): ("model", _same),
        ("per_device_train_batch_size",): ("batch_size", _same),
        ("max_seq_length",): ("seq_len", _same),
        ("max_length",): ("seq_len", _same),
        ("num_train_epochs",): ("epochs", _same),
        ("optim",): ("optimizer", _optimizer),
        ("deepspeed", "zero_optimization", "stage"): ("zero_stage", _same),
        ("load_in_4bit",): ("fine_tuning", lambda raw: "qlora" if units.parse_bool(raw) else None),  # TRL
        ("use_peft",): ("fine_tuning", lambda raw: "lora" if units.parse_bool(raw) else None),
    },
    "axolotl": {
        ("base_model",): ("model", _same),
        ("micro_batch_size",): ("batch_size", _same),
        ("sequence_len",): ("seq_len", _same),
        ("num_epochs",): ("epochs", _same),
        ("adapter",): ("fine_tuning", _adapter),
        ("load_in_4bit",): ("fine_tuning", lambda raw: "qlora" if units.parse_bool(raw) else None),
        ("optimizer",): ("optimizer", _optimizer),
    },
    "torchtune": {
        ("model", "_component_"): (("model", _torchtune_model), ("fine_tuning", _torchtune_method)),
        ("model", "lora_rank"): ("lora_rank", _same),
        ("batch_size",): ("batch_size", _same),
        ("tokenizer", "max_seq_len"): ("seq_len", _same),
        ("optimizer", "lr"): ("lr", _same),
        ("epochs",): ("epochs", _same),
        ("dtype",): ("precision", _same),
        ("enable_activation_checkpointing",): ("gradient_checkpointing", _same),
    },
    "lightning": {
        ("precision",): ("precision", _lightning_precision),
        ("batch_size",): ("batch_size", _same),
        ("max_epochs",): ("epochs", _same),
        ("devices",): ("gpu_count", lambda raw: raw if isinstance(raw, int) and not isinstance(raw, bool) else None),
        # litgpt's LightningCLI configs: the checkpoint folder names the model, `train` holds the batches
        ("checkpoint_dir",): ("model", lambda raw: str(raw).rstrip("/").split("/", 1)[-1]),
        ("micro_batch_size",): ("batch_size", _same),
        ("global_batch_size",): ("global_batch_size", _same),
        ("max_seq_length",): ("seq_len", _same),
        ("epochs",): ("epochs", _same),
    },
    "deepspeed": {
        ("train_micro_batch_size_per_gpu",): ("batch_size", _same),
        ("train_batch_size",): ("global_batch_size", _same),
        ("zero_optimization", "stage"): ("zero_stage", _same),
        ("zero_optimization", "offload_optimizer", "device"): ("offload", _offload),
        ("fp16", "enabled"): ("precision", _precision_flag("fp16")),
        ("bf16", "enabled"): ("precision", _precision_flag("bf16")),
        ("optimizer", "params", "lr"): ("lr", _same),
    },
    "plain": {("batch_size",): ("batch_size", _same), ("seq_len",): ("seq_len", _same),
              ("precision",): ("precision", _same), ("zero_stage",): ("zero_stage", _same)},
}


@dataclass
class Facts:
    """What a config says about the run: raw setup values, the key each came from, what could not be read."""

    where: str
    family: str
    values: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)    # setup field → the config key it came from
    skipped: list[str] = field(default_factory=list)      # "key: why", one per value advisor could not use
    doc: Any = None                                       # the parsed config (fill.formats.Document), read once


def _lookup(table: Table, keys: tuple[str, ...]) -> tuple[str, Callable[[Any], Any]] | None:
    best = None
    for pattern, target in table.items():
        if keys[-len(pattern):] == pattern and (best is None or len(pattern) > best[0]):
            best = (len(pattern), target)
    return None if best is None else best[1]


def from_leaves(leaves: dict[tuple, Any], family: str, where: str) -> Facts:
    """The setup facts in a parsed config's leaves (fill.formats.Document.leaves)."""
    from advisor.fill import formats

    facts = Facts(where, family)
    for path, value in leaves.items():
        keys = tuple(p for p in path if isinstance(p, str))
        if family == "huggingface" and keys[:1] == ("deepspeed",):
            found = _lookup(TABLES["huggingface"], keys) or _lookup(TABLES["deepspeed"], keys[1:])
        else:
            found = _lookup(TABLES[family], keys) or _lookup(COMMON, keys)
        if found is None or value is None or formats.is_auto(value) or isinstance(value, list):
            continue
        for name, convert in (found if isinstance(found[0], tuple) else (found,)):
            _add(facts, path, name, convert, value)
    return facts


def _add(facts: Facts, path: tuple, name: str, convert: Callable[[Any], Any], value: Any) -> None:
    from advisor.fill import formats

    try:
        raw = convert(value)
        if raw is None:
            return
        parsed = fields.BY_NAME[name].parse(raw)
    except ValueError as exc:
        facts.skipped.append(f"{formats.dotted(path)}: {exc}")
        return
    if name in facts.values:
        before = facts.values[name]
        if (name, before, parsed) in _REFINES:
            facts.values[name] = "qlora"  # 4-bit loading with an adapter: QLoRA, whichever key says what
        elif before != parsed:  # the first key of the file wins; the other is named
            facts.skipped.append(f"{formats.dotted(path)}: says {name} {fields.BY_NAME[name].plain(parsed)}, "
                                 f"{facts.keys[name]} already said {fields.BY_NAME[name].plain(before)}")
        return
    facts.values[name], facts.keys[name] = parsed, formats.dotted(path)


def from_text(text: str, kind: str, where: str) -> Facts:
    """The setup facts in a config's text (`kind` yaml/json/toml); InputError naming `where` when malformed."""
    from advisor.fill import families, formats

    doc = formats.parse(text, kind, where)
    facts = from_leaves(doc.leaves, families.detect(doc.top_keys), where)
    facts.doc = doc
    return facts


def read(path: Path) -> Facts:
    """The setup facts a training config file holds; InputError when it cannot be read."""
    from advisor.fill import formats

    kind = formats.kind_of(path)
    return from_text(files.read_text(path, field="--config"), kind, files.shown(path))


def merge(config: Facts, raw: dict[str, Any], *, layer: str, note: Callable[[str], None]) -> dict[str, Any]:
    """The config's facts under `raw` (the setup file's and flags' values, which win); each conflict noted once.

    A field of a group (the model, the card) given in `raw` replaces the whole group from the config, so a
    `--model-params 350M` is not mixed with the config's model name.
    """
    given = {fields.field_for(k).name if fields.field_for(k) else k for k, v in raw.items() if v is not None}
    merged: dict[str, Any] = {}
    noted: set[str] = set()
    for name, value in config.values.items():
        group = next((g for g in GROUPS if name in g), frozenset({name}))
        override = sorted(group & given)
        if not override:
            merged[name] = value
            continue
        theirs = {k: v for k, v in raw.items() if fields.field_for(k) and fields.field_for(k).name in override}
        try:
            shown = fields.normalize_setup(theirs)
        except InputError:  # the caller's own normalisation names the bad value; here only the note is at stake
            shown = theirs
        ours = fields.BY_NAME[name].plain(value)
        if name not in shown or fields.BY_NAME[name].plain(shown[name]) != ours:
            other = ", ".join(f"{fields.BY_NAME[k].key}={fields.BY_NAME[k].plain(shown[k]) if k in shown else v}"
                              for k, v in ((fields.field_for(k).name, v) for k, v in theirs.items()))
            text = f"{layer} {other} overrides {config.keys[name]}: {ours} in {config.where}"
            if text not in noted:
                noted.add(text)
                note(text)
    return {**merged, **raw}
