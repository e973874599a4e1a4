"""Built-in catalog of well-known architectures, with the dimensions memory depends on.

Dimensions and parameter counts are those of the published Hugging Face
`config.json` files (transformers) and torchvision model cards (CNNs, ViT).
Nothing is downloaded: a model outside the catalog is described by a local
`config.json` (see `modelconfig`) or by its parameter count alone.

For CNNs the catalog keeps the architecture itself (stages, blocks, widths), so
`feature_maps()` can list every tensor that training keeps for backward.

A name outside the catalog is never an error: `resolve()` strips the
organisation and variant words of a hub id (`-Instruct`, `-v0.2`, `-hf`), then
reads the parameter count ("7b", "350M", "8x7B") and the family ("llama" →
transformer, "yolo" → cnn, "lstm" → rnn, "xgboost" → tree) from the name where
it says them, and says so in its notes.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import NamedTuple


class Architecture(NamedTuple):
    name: str
    family: str                 # "transformer" | "cnn"
    kind: str                   # "decoder" | "encoder" | "encoder-decoder" | "vision" | "cnn"
    params: int
    layers: int = 0
    hidden: int = 0
    heads: int = 0
    kv_heads: int = 0
    intermediate: int = 0
    vocab: int = 0
    gated_mlp: bool = False     # SwiGLU/GeGLU: three projections, four saved ff-wide tensors
    parallel_block: bool = False  # attention and MLP read one shared norm (GPT-J, phi)
    dropout: bool = False       # dropout layers active in training (masks are kept for backward)
    attention: str = "sdpa"     # implementation the model's usual runs use: "eager" keeps the s×s scores
    tied_embeddings: bool = False
    max_seq_len: int = 0
    decoder_layers: int = 0     # encoder-decoder models: layers of the decoder stack
    image_size: int = 0
    patch_size: int = 0
    cnn: tuple = ()  # ("resnet", blocks, bottleneck) | ("efficientnet", stages)
    rough: bool = False         # dimensions guessed from the parameter count alone
    head_dim: int = 0           # per-head width when heads·head_dim != hidden (Gemma 2, T5-3B); 0: hidden/heads
    experts: int = 0            # mixture of experts: MLP copies resident per layer (Mixtral: 8)
    active_experts: int = 0     # ... and how many each token runs through (top-k routing; Mixtral: 2)
    rms_norm: bool = False      # RMSNorm (Llama-style: upcasts to fp32 inside) instead of LayerNorm
    fused_qkv: bool = False     # one projection computes Q, K and V (GPT-2's c_attn, Phi-3's qkv_proj)

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim if self.head_dim else self.hidden

    @property
    def kv_dim(self) -> int:
        if self.head_dim:
            return (self.kv_heads or self.heads) * self.head_dim
        return self.hidden * (self.kv_heads or self.heads) // max(1, self.heads)

    @property
    def mlp_copies(self) -> tuple[int, int]:
        """(MLP copies whose weights are resident, copies each token's activations go through)."""
        return (self.experts, self.active_experts or self.experts) if self.experts else (1, 1)

    @property
    def embedding_params(self) -> int:
        """Token embedding plus an untied output head (vocab × hidden each)."""
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2)

    @property
    def total_layers(self) -> int:
        return self.layers + self.decoder_layers

    def tokens(self, seq_len: int | None, image_size: int | None) -> int:
        """Sequence length the blocks see: patches (+ class token) for a ViT."""
        if self.kind == "vision":
            side = (image_size or self.image_size) // self.patch_size
            return side * side + 1
        return seq_len or 0

    def linear_params(self) -> int:
        """Weights inside the transformer blocks' linear layers (what 4-bit quantization packs)."""
        return max(0, self.params - self.embedding_params - 4 * self.hidden * self.total_layers)


def _decoder(name, params, layers, hidden, heads, intermediate, vocab, max_seq_len, *, kv_heads=0, gated=True,
             tied=False, parallel=False, dropout=False, attention="sdpa", head_dim=0, experts=0, active=0, fused=False):
    # gated (SwiGLU) decoders are the Llama family, which also uses RMSNorm; GPT-2 (plain, serial) fuses Q/K/V
    return Architecture(name, "transformer", "decoder", params, layers, hidden, heads, kv_heads or heads,
                        intermediate, vocab, gated, parallel, dropout, attention, tied, max_seq_len,
                        head_dim=head_dim, experts=experts, active_experts=active, rms_norm=gated,
                        fused_qkv=fused or not (gated or parallel))


def _encoder(name, params, layers, hidden, heads, vocab):
    # BERT/RoBERTa/DistilBERT: GELU MLP of 4h, dropout 0.1, published measurements use eager attention
    return Architecture(name, "transformer", "encoder", params, layers, hidden, heads, heads, 4 * hidden, vocab,
                        False, False, True, "eager", True, 512)


def _t5(name, params, layers, hidden, heads, intermediate, *, head_dim=0, gated=False, tied=True):
    # T5 v1.0: ReLU MLP, tied head; v1.1/FLAN-T5: gated GELU, untied head. Dropout 0.1, RMS-style norm,
    # relative position bias keeps it on eager attention
    return Architecture(name, "transformer", "encoder-decoder", params, layers, hidden, heads, heads, intermediate,
                        32128, gated, False, True, "eager", tied, 512, decoder_layers=layers, head_dim=head_dim,
                        rms_norm=True)


def _vit(name, params, layers, hidden, heads, patch=16):
    return Architecture(name, "transformer", "vision", params, layers, hidden, heads, heads, 4 * hidden, 0,
                        False, False, False, "sdpa", True, 0, image_size=224, patch_size=patch)


def _resnet(name, params, blocks, bottleneck):
    return Architecture(name, "cnn", "cnn", params, layers=sum(blocks) * (3 if bottleneck else 2) + 2,
                        image_size=224, cnn=("resnet", tuple(blocks), bottleneck))


# (expansion, channels, repeats, stride, kernel) per stage: Tan & Le 2019, Table 1
_EFFICIENTNET_B0 = ((1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3),
                    (6, 112, 3, 1, 5), (6, 192, 4, 2, 5), (6, 320, 1, 1, 3))

CATALOG: dict[str, Architecture] = {a.name: a for a in (
    _decoder("gpt2", 124_439_808, 12, 768, 12, 3072, 50257, 1024, gated=False, tied=True, dropout=True, attention="eager"),
    _decoder("gpt2-medium", 354_823_168, 24, 1024, 16, 4096, 50257, 1024, gated=False, tied=True, dropout=True,
             attention="eager"),
    _decoder("gpt2-large", 774_030_080, 36, 1280, 20, 5120, 50257, 1024, gated=False, tied=True, dropout=True,
             attention="eager"),
    _decoder("gpt2-xl", 1_557_611_200, 48, 1600, 25, 6400, 50257, 1024, gated=False, tied=True, dropout=True,
             attention="eager"),
    _encoder("bert-base", 109_482_240, 12, 768, 12, 30522),
    _encoder("bert-large", 335_141_888, 24, 1024, 16, 30522),
    _encoder("roberta-base", 124_645_632, 12, 768, 12, 50265),
    _encoder("roberta-large", 355_359_744, 24, 1024, 16, 50265),
    # https://huggingface.co/distilbert/distilbert-base-uncased/blob/main/config.json
    Architecture("distilbert-base", "transformer", "encoder", 66_362_880, 6, 768, 12, 12, 3072, 30522, False, False,
                 True, "eager", True, 512),
    _t5("t5-small", 60_506_624, 6, 512, 8, 2048),
    _t5("t5-base", 222_903_552, 12, 768, 12, 3072),
    _t5("t5-large", 737_668_096, 24, 1024, 16, 4096),
    # https://huggingface.co/google-t5/t5-3b/blob/main/config.json (32 heads of d_kv 128 on d_model 1024)
    _t5("t5-3b", 2_851_598_336, 24, 1024, 32, 16384, head_dim=128),
    # https://huggingface.co/google/flan-t5-{small,base,large}/blob/main/config.json (T5 v1.1: gated-gelu, untied)
    Architecture("flan-t5-small", "transformer", "encoder-decoder", 76_961_152, 8, 512, 6, 6, 1024, 32128, True,
                 False, True, "eager", False, 512, decoder_layers=8, head_dim=64, rms_norm=True),
    _t5("flan-t5-base", 247_577_856, 12, 768, 12, 2048, gated=True, tied=False),
    _t5("flan-t5-large", 783_150_080, 24, 1024, 16, 2816, gated=True, tied=False),
    _decoder("phi-1.5", 1_418_270_720, 24, 2048, 32, 8192, 51200, 2048, gated=False, parallel=True),
    _decoder("phi-2", 2_779_683_840, 32, 2560, 32, 10240, 51200, 2048, gated=False, parallel=True),
    _decoder("llama-2-7b", 6_738_415_616, 32, 4096, 32, 11008, 32000, 4096),
    _decoder("llama-2-13b", 13_015_864_320, 40, 5120, 40, 13824, 32000, 4096),
    _decoder("llama-2-70b", 68_976_648_192, 80, 8192, 64, 28672, 32000, 4096, kv_heads=8),
    _decoder("llama-3-8b", 8_030_261_248, 32, 4096, 32, 14336, 128256, 8192, kv_heads=8),
    _decoder("llama-3-70b", 70_553_706_496, 80, 8192, 64, 28672, 128256, 8192, kv_heads=8),
    _decoder("llama-3.2-1b", 1_235_814_400, 16, 2048, 32, 8192, 128256, 131072, kv_heads=8, tied=True),
    _decoder("llama-3.2-3b", 3_212_749_824, 28, 3072, 24, 8192, 128256, 131072, kv_heads=8, tied=True),
    _decoder("mistral-7b", 7_241_732_096, 32, 4096, 32, 14336, 32000, 32768, kv_heads=8),
    # https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json: 8 experts, top-2 routing
    _decoder("mixtral-8x7b", 46_702_792_704, 32, 4096, 32, 14336, 32000, 32768, kv_heads=8, experts=8, active=2),
    # https://huggingface.co/Qwen/Qwen2.5-{0.5B,1.5B,3B,7B}/blob/main/config.json
    _decoder("qwen2.5-0.5b", 494_032_768, 24, 896, 14, 4864, 151936, 32768, kv_heads=2, tied=True),
    _decoder("qwen2.5-1.5b", 1_543_714_304, 28, 1536, 12, 8960, 151936, 32768, kv_heads=2, tied=True),
    _decoder("qwen2.5-3b", 3_085_938_688, 36, 2048, 16, 11008, 151936, 32768, kv_heads=2, tied=True),
    _decoder("qwen2.5-7b", 7_615_616_512, 28, 3584, 28, 18944, 152064, 32768, kv_heads=4),
    # https://huggingface.co/google/gemma-2-{2b,9b}/blob/main/config.json: head_dim 256, GeGLU, tied, 256k vocab
    # (eager attention is what transformers recommends for Gemma 2 training: logit soft-capping)
    _decoder("gemma-2-2b", 2_614_341_888, 26, 2304, 8, 9216, 256000, 8192, kv_heads=4, head_dim=256, tied=True,
             attention="eager"),
    _decoder("gemma-2-9b", 9_241_705_984, 42, 3584, 16, 14336, 256000, 8192, kv_heads=8, head_dim=256, tied=True,
             attention="eager"),
    # https://huggingface.co/microsoft/Phi-3-mini-4k-instruct/blob/main/config.json
    _decoder("phi-3-mini", 3_821_079_552, 32, 3072, 32, 8192, 32064, 4096, fused=True),
    _resnet("resnet18", 11_689_512, (2, 2, 2, 2), False),
    _resnet("resnet50", 25_557_032, (3, 4, 6, 3), True),
    _resnet("resnet101", 44_549_160, (3, 4, 23, 3), True),
    _vit("vit-b-16", 86_567_656, 12, 768, 12),
    _vit("vit-l-16", 304_326_632, 24, 1024, 16),
    # torchvision vit_h_14 / https://huggingface.co/google/vit-huge-patch14-224-in21k (32 × 1280, patch 14)
    _vit("vit-h-14", 632_045_800, 32, 1280, 16, patch=14),
    Architecture("efficientnet-b0", "cnn", "cnn", 5_288_548, layers=82, image_size=224,
                 cnn=("efficientnet", _EFFICIENTNET_B0)),
)}

# Hub ids and spellings people use for the same model
ALIASES: dict[str, str] = {
    "gpt2-small": "gpt2", "gpt-2": "gpt2", "openai-community/gpt2": "gpt2",
    "bert-base-uncased": "bert-base", "bert-base-cased": "bert-base", "bert-large-uncased": "bert-large",
    "bert-large-cased": "bert-large", "roberta": "roberta-base", "distilbert": "distilbert-base",
    "llama2-7b": "llama-2-7b", "llama2-13b": "llama-2-13b", "llama2-70b": "llama-2-70b",
    "meta-llama-3-8b": "llama-3-8b", "meta-llama-3-70b": "llama-3-70b", "llama3-8b": "llama-3-8b",
    # Llama 3.1 keeps Llama 3's dimensions (https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json;
    # only the RoPE scaling and the context length change)
    "llama3-70b": "llama-3-70b", "llama-3.1-8b": "llama-3-8b", "llama-3.1-70b": "llama-3-70b",
    "meta-llama-3.1-8b": "llama-3-8b", "meta-llama-3.1-70b": "llama-3-70b", "llama3.1-8b": "llama-3-8b",
    "llama3.1-70b": "llama-3-70b",
    "mistral-7b-v0.1": "mistral-7b", "mistral-7b-v0.3": "mistral-7b", "mixtral-8x7b-v0.1": "mixtral-8x7b",
    "phi-1_5": "phi-1.5", "phi1.5": "phi-1.5", "phi2": "phi-2", "phi-3-mini-4k": "phi-3-mini", "phi3-mini": "phi-3-mini",
    "gemma2-2b": "gemma-2-2b", "gemma2-9b": "gemma-2-9b",
    "resnet-18": "resnet18", "resnet-50": "resnet50", "resnet-101": "resnet101",
    "vit-base-patch16-224": "vit-b-16", "vit-large-patch16-224": "vit-l-16", "vit-b16": "vit-b-16",
    "vit-l16": "vit-l-16", "vit-base": "vit-b-16", "vit-large": "vit-l-16", "efficientnet_b0": "efficientnet-b0",
    "vit-huge-patch14-224": "vit-h-14", "vit-h14": "vit-h-14", "vit-huge": "vit-h-14",
}

# Words of a hub id that name a variant of the same weights (chat/instruction tuning, a release, a
# quantised upload, a context length, casing), not a different architecture.
_VARIANT = re.compile(r"^(hf|instruct|chat|it|sft|dpo|rlhf|gguf|awq|gptq|bnb|exl2|mlx|[48]bit|fp16|bf16|int[48]"
                      r"|v\d+(\.\d+)*|\d+k|uncased|cased|original|pretrained|finetuned|in21k|in1k)$")
# model_family and architecture kind a word of the name says (checked as a whole word or the word followed by
# a version/size: "llama2", "resnet50", "yolov8n", "gpt-neox")
_FAMILY_WORDS: dict[str, tuple[str, str]] = {
    **{w: ("transformer", "decoder") for w in (
        "llama", "codellama", "tinyllama", "vicuna", "alpaca", "mistral", "mixtral", "gpt", "gptj", "opt", "bloom",
        "bloomz", "falcon", "qwen", "gemma", "phi", "pythia", "mpt", "stablelm", "olmo", "deepseek", "yi",
        "starcoder", "smollm", "granite", "internlm", "baichuan", "chatglm", "cohere", "command", "zephyr", "llm")},
    **{w: ("transformer", "encoder") for w in (
        "bert", "roberta", "deberta", "electra", "albert", "distilbert", "xlm", "mpnet", "minilm", "camembert",
        "ernie", "longformer", "bge", "modernbert")},
    **{w: ("transformer", "encoder-decoder") for w in ("t5", "mt5", "flan", "bart", "mbart", "pegasus", "marian",
                                                        "ul2", "byt5", "whisper")},
    **{w: ("transformer", "vision") for w in ("vit", "deit", "swin", "beit", "dinov2")},
    **{w: ("cnn", "cnn") for w in (
        "resnet", "resnext", "yolo", "efficientnet", "convnext", "vgg", "mobilenet", "densenet", "inception", "unet",
        "regnet", "alexnet", "squeezenet", "shufflenet", "mnasnet", "googlenet", "xception", "darknet", "cnn",
        "convnet", "lenet")},
    **{w: ("rnn", "rnn") for w in ("lstm", "bilstm", "gru", "rnn")},
    **{w: ("tree", "tree") for w in ("xgboost", "xgb", "lightgbm", "lgbm", "catboost", "gbdt", "gbm")},
    "mlp": ("mlp", "mlp"),
}
# a parameter count written in the name: "7b", "1.3B", "350M", "8x7B" (experts × size)
_SIZE = re.compile(r"^(?:(\d+)x)?(\d+(?:\.\d+)?)([bm])$")
_MAX_NAME = 200


class Resolved(NamedTuple):
    """What a model name says: the catalog entry it names, else the size and family its words state."""

    name: str
    catalog: str | None = None
    params: int | None = None
    family: str | None = None
    kind: str | None = None
    notes: tuple[str, ...] = ()
    closest: bool = False   # `catalog` is only the closest name (a misspelling), not the name itself


def _clean(raw: object) -> str:
    text = str(raw).strip().lower().replace("_", "-").replace(" ", "-")
    if not text or len(text) > _MAX_NAME or not text.isprintable():
        raise ValueError(f"a model name is 1-{_MAX_NAME} printable characters, like llama-2-7b or "
                         f"meta-llama/Llama-2-7b-hf")
    return text


def _candidates(text: str) -> list[str]:
    """Spellings to look up: the hub id, its last part, then with variant words dropped (from the end first)."""
    base = text.rsplit("/", 1)[-1]
    out = [text, base]
    words = base.split("-")
    while len(words) > 1 and _VARIANT.match(words[-1]):
        words = words[:-1]
        out.append("-".join(words))
    kept = [w for w in base.split("-") if not _VARIANT.match(w)]
    if kept:
        out.append("-".join(kept))
        out.append(re.sub(r"([a-z])(\d)", r"\1-\2", "-".join(kept)))  # "llama2-7b" -> "llama-2-7b"
    return list(dict.fromkeys(out))


def _catalog_name(name: str) -> str | None:
    return name if name in CATALOG else ALIASES.get(name)


def _typo(names: list[str]) -> str | None:
    """A catalog entry the name misspells: close in letters, with exactly the same numbers, and no other family
    word ("deberta-large" is not a misspelt "bert-large")."""
    for name in names:
        own = _family(name.split("-"))
        for close in difflib.get_close_matches(name, list(CATALOG) + list(ALIASES), n=3, cutoff=0.85):
            other = _family(close.split("-"))
            same_numbers = re.findall(r"\d+(?:\.\d+)?", close) == re.findall(r"\d+(?:\.\d+)?", name)
            if same_numbers and (own is None or own[0] == (other or ("",))[0]):
                return ALIASES.get(close, close)
    return None


def _size(words: list[str]) -> tuple[int | None, str]:
    for word in words:
        match = _SIZE.match(word)
        if match:
            experts, number, unit = match.groups()
            params = float(number) * (1e9 if unit == "b" else 1e6) * (int(experts) if experts else 1)
            note = f" ({experts} experts × {number}{unit.upper()}: an upper bound, the experts share attention)" \
                if experts else ""
            return int(params), note
    return None, ""


def _family(words: list[str]) -> tuple[str, tuple[str, str]] | None:
    """(the family word, (model_family, kind)) of the first word that names a family."""
    for word in words:
        for key, value in _FAMILY_WORDS.items():
            if word == key or (word.startswith(key) and re.match(r"v?\d", word[len(key):])):
                return key, value
    return None


def resolve(raw: object) -> Resolved:
    """What the name `raw` tells; ValueError only for what cannot be a name (empty, too long, control characters)."""
    text = _clean(raw)
    base = text.rsplit("/", 1)[-1]
    names = _candidates(text)
    for name in names:
        found = _catalog_name(name)
        if found:
            exact = name in (text, base)
            return Resolved(text, catalog=found, notes=() if exact else (
                f"model {text!r} read as the catalog's {found!r} (variant words of the name dropped)",))
    params, moe = _size(base.split("-"))
    typo = _typo(names)
    if typo and (params is None or abs(CATALOG[typo].params / params - 1) < 0.2):
        return Resolved(text, catalog=typo, closest=True, notes=(
            f"model {text!r} is not in the catalog: read as its closest name {typo!r}",))
    family = _family([w for w in re.split(r"[-/]", text) if w])
    notes = []
    if params:
        notes.append(f"model {text!r} is not in the catalog: {params / 1e9:.3g}B parameters read from its name{moe}")
    if family:
        notes.append(f"model {text!r}: family {family[1][0]} ({family[1][1]}) read from the word {family[0]!r} "
                     "of its name")
    if not params:
        notes.append(f"model {text!r} is not in the catalog and its name states no parameter count "
                     "(give --model-params, or --model-config PATH)")
    return Resolved(text, params=params, family=family[1][0] if family else None,
                    kind=family[1][1] if family else None, notes=tuple(notes))


def canonical(raw: object) -> str:
    """The catalog name for a model name or hub id (a variant's too), or the cleaned name itself when it is
    outside the catalog, misspellings included: `lookup` reads those and the estimate states how."""
    found = resolve(raw)
    return found.name if found.closest or not found.catalog else found.catalog


def lookup(raw: object) -> Architecture | None:
    """The architecture a name describes: its catalog entry, else a shape guessed from the size its name states
    (flagged `rough`); None when the name says no size."""
    found = resolve(raw)
    if found.catalog:
        return CATALOG[found.catalog]
    if found.params is None or found.family in ("rnn", "tree", "mlp"):
        return None
    arch = from_params(found.params, found.family, None, decoder=found.kind not in ("encoder", "vision"))
    return arch._replace(name=found.name)


def from_params(params: int, family: str | None, depth: int | None, *, decoder: bool = True,
                vocab: int | None = None) -> Architecture:
    """A transformer shape consistent with params ≈ 12·L·h², when only the size is known (rough).

    The aspect ratio follows published decoder families (h ≈ 64·L … 128·L),
    heads of 64-128 dims, a 32k vocabulary unless `vocab` is given; flagged `rough`.
    """
    if family == "cnn":
        return CATALOG["resnet50"]._replace(name=f"cnn-{params}", params=params, rough=True)
    if depth:
        layers = depth
    else:
        layers = max(2, round((params / 12 / 100**2) ** (1 / 3)))
    hidden = max(64, int(math.sqrt(params / (12 * layers))) // 64 * 64 or 64)
    heads = max(1, hidden // 128 if hidden >= 2048 else hidden // 64)
    return Architecture(f"transformer-{params}", "transformer", "decoder" if decoder else "encoder", params,
                        layers, hidden, heads, heads, 4 * hidden, vocab or (32000 if decoder else 0), False, False,
                        False, "sdpa", False, 2048, rough=True)


def feature_maps(arch: Architecture, image_size: int | None) -> list[tuple[int, int]]:
    """(stage, elements) of every activation a CNN keeps for backward, per image.

    Counted as PyTorch autograd keeps them: a conv's input (shared with the
    previous activation), each BatchNorm's input (the conv output) and each
    activation's output; torchvision's in-place ReLU shares the BatchNorm
    output's storage; max-pool keeps int64 indices (two fp32 slots). SiLU is
    not in place, so EfficientNet keeps its input and output.
    """
    side = image_size or arch.image_size or 224
    maps: list[tuple[int, int]] = []
    kind = arch.cnn[0] if arch.cnn else "resnet"

    def add(stage: int, channels: int, size: int, count: int = 1) -> None:
        maps.append((stage, channels * size * size * count))

    if kind == "resnet":
        blocks, bottleneck = (arch.cnn[1], arch.cnn[2]) if arch.cnn else ((3, 4, 6, 3), True)
        size = math.ceil(side / 2)
        add(0, 64, size, 2)                      # stem conv output, BN/ReLU output
        size = math.ceil(size / 2)
        add(0, 64, size, 3)                      # max-pool output and its int64 indices
        channels = 64
        for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
            out = width * (4 if bottleneck else 1)
            for block in range(count):
                stride = 2 if stage > 1 and block == 0 else 1
                in_size, out_size = size, math.ceil(size / stride)
                if bottleneck:
                    add(stage, width, in_size, 2)    # 1×1 reduce (torchvision v1.5 strides the 3×3)
                    add(stage, width, out_size, 2)   # 3×3
                    add(stage, out, out_size, 2)     # 1×1 expand, residual add and ReLU in place
                else:
                    add(stage, width, out_size, 4)   # two 3×3 convs
                if block == 0 and (stride != 1 or channels != out):
                    add(stage, out, out_size, 2)     # projection shortcut
                size, channels = out_size, out
        return maps
    # EfficientNet: MBConv blocks (Tan & Le 2019)
    size = math.ceil(side / 2)
    add(0, 32, size, 3)                          # stem conv, BN, SiLU output
    channels = 32
    for stage, (expand, out, repeats, stride, _kernel) in enumerate(arch.cnn[1], start=1):
        for block in range(repeats):
            s = stride if block == 0 else 1
            out_size = math.ceil(size / s)
            wide = channels * expand
            if expand != 1:
                add(stage, wide, size, 3)            # expand conv out, BN out, SiLU out
            add(stage, wide, out_size, 4)            # depthwise out, BN out, SiLU out, squeeze-excite product
            add(stage, out, out_size, 2)             # project conv out, BN out
            size, channels = out_size, out
    add(8, 1280, size, 3)                        # head conv, BN, SiLU
    return maps
