"""Describe a model from a local Hugging Face `config.json` (never downloaded).

Reads the dimension keys the common model types use (GPT-2's `n_embd`, T5's
`d_model`, BERT/Llama's `hidden_size`, …) and counts the parameters from
them, the way the modelling code allocates them.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.setup.architectures import Architecture
from advisor import files
from advisor.errors import InputError

_GATED_TYPES = {"llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "olmo", "olmo2", "phi3",
                "granite", "cohere", "internlm2", "deepseek_v2", "yi", "stablelm_epoch"}
_ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "deberta", "deberta-v2", "electra", "distilbert", "albert",
                  "camembert", "mpnet", "xlm", "ernie"}
_FUSED_QKV_TYPES = {"gpt2", "phi3", "falcon", "gpt_neox", "bloom", "mpt", "gpt_bigcode", "chatglm"}
_PARALLEL_TYPES = {"phi", "gptj", "gpt_neox", "falcon", "cohere"}
_EAGER_TYPES = _ENCODER_TYPES | {"gpt2", "t5", "mt5", "bart", "mbart", "pegasus", "marian", "gemma2"}
# RMSNorm models (the Llama family and T5's RMS-style norm): the norm upcasts to fp32 inside its forward
_RMS_TYPES = _GATED_TYPES | {"t5", "mt5", "umt5"}


def _first(config: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        value = config.get(key)
        if value is not None:
            return value
    return default


_MAX_DIMENSION = 10**8  # far above any real width, depth, vocabulary or context; keeps the estimate finite


def _positive_int(config: dict[str, Any], what: str, *keys: str, default: int | None = None) -> int:
    value = _first(config, *keys, default=default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_DIMENSION:
        raise ValueError(f"config has no positive integer {what} up to {_MAX_DIMENSION:,} "
                         f"(looked for {', '.join(keys)})")
    return value


def _optional_int(config: dict[str, Any], what: str, *keys: str) -> int:
    """A dimension that may be absent (0) but, when present, must be a positive integer."""
    return _positive_int(config, what, *keys) if _first(config, *keys) not in (None, 0) else 0


def _dropout(config: dict[str, Any]) -> bool:
    values = [config.get(k) for k in ("hidden_dropout_prob", "attention_probs_dropout_prob", "resid_pdrop",
                                      "attn_pdrop", "dropout_rate", "dropout", "attention_dropout", "hidden_dropout")]
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values)


def parse_path(raw: object) -> str:
    """Validate a `model_config` value: an existing local JSON file (or the folder holding config.json)."""
    path = Path(str(raw)).expanduser()
    if not files.is_regular(path) and files.is_regular(path / "config.json"):
        path = path / "config.json"
    read(path)  # reject a missing or broken file at input time, with the field named
    return str(path)


def read(path: str | Path) -> Architecture:
    """An Architecture from a config.json; ValueError names what is missing.

    Parsed once per process while the file keeps its size and mtime: the setup's parser, its
    normalisation and the memory estimate all ask for it in one run, and an edited file is read again.
    """
    try:
        stat = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return _read(Path(path))  # says why the path cannot be read
    return _read_unchanged(str(path), os.path.abspath(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _read_unchanged(path: str, absolute: str, mtime_ns: int, size: int) -> Architecture:
    # keyed on the absolute path too: the same relative name in another working directory is another file
    return _read(Path(path))


def _read(path: Path) -> Architecture:
    try:
        text = files.read_text(path, field="model_config")
    except InputError as exc:
        # the caller names the field; this says what is wrong with the file, shortened
        reason = str(exc).split(": ", 1)[1].removesuffix("; give a file")
        raise ValueError(f"{reason}; give the path of a local Hugging Face config.json (or the folder holding it)"
                         ) from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{files.shown(path)} is not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise ValueError(f"{files.shown(path)} is nested too deeply to be a config.json") from None
    if not isinstance(config, dict):
        raise ValueError(f"{files.shown(path)} is not a config.json: expected a JSON object")
    if isinstance(config.get("text_config"), dict) and "hidden_size" not in config:
        config = {**config["text_config"], "model_type": config["text_config"].get("model_type", "")}
    return from_config(config, name=path.parent.name or path.stem)


def from_config(config: dict[str, Any], *, name: str = "config") -> Architecture:
    model_type = str(config.get("model_type", "")).lower()
    hidden = _positive_int(config, "hidden size", "hidden_size", "n_embd", "d_model", "dim")
    layers = _positive_int(config, "layer count", "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    heads = _positive_int(config, "attention head count", "num_attention_heads", "n_head", "num_heads", "n_heads")
    kv_heads = _positive_int(config, "key/value head count", "num_key_value_heads", "multi_query_group_num",
                             default=heads)
    intermediate = _positive_int(config, "MLP size", "intermediate_size", "n_inner", "d_ff", "ffn_dim", "hidden_dim",
                                 default=4 * hidden)
    # mixture of experts (Mixtral, Qwen-MoE): every expert's MLP is resident, each token runs through top-k
    experts = _optional_int(config, "expert count", "num_local_experts", "num_experts")
    active = _optional_int(config, "experts per token", "num_experts_per_tok") if experts else 0
    vocab = _positive_int(config, "vocabulary size", "vocab_size", default=1)
    head_dim = _positive_int(config, "head size", "head_dim", "d_kv", default=max(1, hidden // heads))
    ffn_proj = str(config.get("feed_forward_proj", ""))
    gated = model_type in _GATED_TYPES or ffn_proj.startswith("gated") or str(config.get("hidden_act")) == "swiglu"
    tied = bool(config.get("tie_word_embeddings", True))
    decoder_layers = 0
    kind = "decoder"
    if model_type in _ENCODER_TYPES:
        kind = "encoder"
    elif config.get("is_encoder_decoder"):
        kind = "encoder-decoder"
        decoder_layers = _positive_int(config, "decoder layer count", "num_decoder_layers", "decoder_layers",
                                       default=layers)
    if "image_size" in config and "patch_size" in config and kind != "encoder-decoder" and vocab == 1:
        kind = "vision"
    dropout = _dropout(config)
    # parameters the modelling code allocates: attention, MLP, two norms per layer, embeddings
    attention = hidden * heads * head_dim * 2 + hidden * kv_heads * head_dim * 2
    mlp = hidden * intermediate * (3 if gated else 2) * max(1, experts) + hidden * experts  # + the router
    per_layer = attention + mlp + 4 * hidden
    cross = (hidden * heads * head_dim * 2 + hidden * kv_heads * head_dim * 2 + 2 * hidden) * decoder_layers
    positions = hidden * _optional_int(config, "position count", "max_position_embeddings", "n_positions") \
        if model_type in _ENCODER_TYPES | {"gpt2", "bart", "opt"} else 0
    embeddings = vocab * hidden * (1 if tied else 2) if vocab > 1 else 0
    params = per_layer * (layers + decoder_layers) + cross + embeddings + positions
    max_seq = _optional_int(config, "context length", "max_position_embeddings", "n_positions", "n_ctx",
                            "seq_length") or 2048
    return Architecture(
        name=name, family="transformer", kind=kind, params=params, layers=layers, hidden=hidden, heads=heads,
        kv_heads=kv_heads, intermediate=intermediate, vocab=vocab if vocab > 1 else 0, gated_mlp=gated,
        parallel_block=model_type in _PARALLEL_TYPES or bool(config.get("parallel_attn")), dropout=dropout,
        attention="eager" if model_type in _EAGER_TYPES else "sdpa", tied_embeddings=tied, max_seq_len=max_seq,
        decoder_layers=decoder_layers, image_size=_optional_int(config, "image size", "image_size"),
        patch_size=_optional_int(config, "patch size", "patch_size"),
        head_dim=head_dim if head_dim * heads != hidden else 0, experts=experts, active_experts=active,
        rms_norm=model_type in _RMS_TYPES, fused_qkv=model_type in _FUSED_QKV_TYPES)


def fill_setup(setup: dict[str, Any]) -> None:
    """Fill what a named model or a config.json implies, unless the setup states it (in place).

    A name outside the catalog fills what its words say (a size, a family); `architectures.resolve` states it.
    """
    from advisor.setup.architectures import lookup, resolve

    arch = read(setup["model_config"]) if setup.get("model_config") else \
        lookup(setup["model"]) if setup.get("model") else None
    if arch is None and setup.get("model"):
        family = resolve(setup["model"]).family
        if family:
            setup.setdefault("model_family", family)
    if arch is not None:
        setup.setdefault("model_params", arch.params)
        setup.setdefault("model_family", arch.family)
        if arch.total_layers and not arch.rough:  # a depth guessed from a size is not the model's
            setup.setdefault("depth", arch.total_layers)
        if arch.vocab and not arch.rough:  # the loss a language model starts from is ln(vocab_size)
            setup.setdefault("vocab_size", arch.vocab)
