"""Describe a model from a local Hugging Face `config.json` (never downloaded).

Reads the dimension keys the common model types use (GPT-2's `n_embd`, T5's
`d_model`, BERT/Llama's `hidden_size`, …) and counts the parameters from
them, the way the modelling code allocates them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .architectures import Architecture
from .classmath import setup_counts

_GATED_TYPES = {"llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "olmo", "olmo2", "phi3",
                "granite", "cohere", "internlm2", "deepseek_v2", "yi", "stablelm_epoch"}
_ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "deberta", "deberta-v2", "electra", "distilbert", "albert",
                  "camembert", "mpnet", "xlm", "ernie"}
_PARALLEL_TYPES = {"phi", "gptj", "gpt_neox", "falcon", "cohere"}
_EAGER_TYPES = _ENCODER_TYPES | {"gpt2", "t5", "mt5", "bart", "mbart", "pegasus", "marian"}


def _first(config: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        value = config.get(key)
        if value is not None:
            return value
    return default


def _positive_int(config: dict[str, Any], what: str, *keys: str, default: int | None = None) -> int:
    value = _first(config, *keys, default=default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"config has no positive integer {what} (looked for {', '.join(keys)})")
    return value


def parse_path(raw: object) -> str:
    """Validate a `model_config` value: an existing local JSON file."""
    path = Path(str(raw)).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise ValueError(f"{str(raw)!r} is not a file; give the path of a local Hugging Face config.json "
                         f"(or the folder holding it)")
    read(path)  # reject a broken file at input time, with the field named
    return str(path)


def read(path: str | Path) -> Architecture:
    """An Architecture from a config.json; ValueError names what is missing."""
    path = Path(path)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {str(path)!r}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{str(path)!r} is not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{str(path)!r} is not a config.json: expected a JSON object")
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
    intermediate = _positive_int(config, "MLP size", "intermediate_size", "n_inner", "d_ff", "ffn_dim",
                                 default=4 * hidden)
    vocab = _positive_int(config, "vocabulary size", "vocab_size", default=1)
    head_dim = _first(config, "head_dim", "d_kv", default=hidden // heads)
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
    dropout = any(float(config.get(k) or 0) > 0 for k in (
        "hidden_dropout_prob", "attention_probs_dropout_prob", "resid_pdrop", "attn_pdrop", "dropout_rate",
        "dropout", "attention_dropout", "hidden_dropout"))
    # parameters the modelling code allocates: attention, MLP, two norms per layer, embeddings
    attention = hidden * heads * head_dim * 2 + hidden * kv_heads * head_dim * 2
    mlp = hidden * intermediate * (3 if gated else 2)
    per_layer = attention + mlp + 4 * hidden
    cross = (hidden * heads * head_dim * 2 + hidden * kv_heads * head_dim * 2 + 2 * hidden) * decoder_layers
    positions = hidden * int(_first(config, "max_position_embeddings", "n_positions", default=0) or 0) \
        if model_type in _ENCODER_TYPES | {"gpt2", "bart", "opt"} else 0
    embeddings = vocab * hidden * (1 if tied else 2) if vocab > 1 else 0
    params = per_layer * (layers + decoder_layers) + cross + embeddings + positions
    max_seq = int(_first(config, "max_position_embeddings", "n_positions", "n_ctx", "seq_length", default=2048))
    return Architecture(
        name=name, family="transformer", kind=kind, params=params, layers=layers, hidden=hidden, heads=heads,
        kv_heads=kv_heads, intermediate=intermediate, vocab=vocab if vocab > 1 else 0, gated_mlp=gated,
        parallel_block=model_type in _PARALLEL_TYPES or bool(config.get("parallel_attn")), dropout=dropout,
        attention="eager" if model_type in _EAGER_TYPES else "sdpa", tied_embeddings=tied, max_seq_len=max_seq,
        decoder_layers=decoder_layers, image_size=int(config.get("image_size") or 0),
        patch_size=int(config.get("patch_size") or 0))


def fill_setup(setup: dict[str, Any]) -> None:
    """Fill what a named model or class counts imply, unless the setup states it (in place)."""
    from .architectures import lookup

    arch = read(setup["model_config"]) if setup.get("model_config") else \
        lookup(setup["model"]) if setup.get("model") else None
    if arch is not None:
        setup.setdefault("model_params", arch.params)
        setup.setdefault("model_family", arch.family)
        if arch.total_layers:
            setup.setdefault("depth", arch.total_layers)
    if setup.get("class_counts"):
        counts = setup_counts(setup)
        setup.setdefault("class_ratio", f"1:{max(counts) / min(counts):.4g}")
        setup.setdefault("num_classes", len(counts))
