"""Built-in catalog of well-known architectures, with the dimensions memory depends on.

Dimensions and parameter counts are those of the published Hugging Face
`config.json` files (transformers) and torchvision model cards (CNNs, ViT).
Nothing is downloaded: a model outside the catalog is described by a local
`config.json` (see `modelconfig`) or by its parameter count alone.

For CNNs the catalog keeps the architecture itself (stages, blocks, widths), so
`feature_maps()` can list every tensor that training keeps for backward.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace



@dataclass(frozen=True)
class Architecture:
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
    cnn: tuple = field(default=())  # ("resnet", blocks, bottleneck) | ("efficientnet", stages)
    rough: bool = False         # dimensions guessed from the parameter count alone

    @property
    def kv_dim(self) -> int:
        return self.hidden * (self.kv_heads or self.heads) // max(1, self.heads)

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
             tied=False, parallel=False, dropout=False, attention="sdpa"):
    return Architecture(name, "transformer", "decoder", params, layers, hidden, heads, kv_heads or heads,
                        intermediate, vocab, gated, parallel, dropout, attention, tied, max_seq_len)


def _encoder(name, params, layers, hidden, heads, vocab):
    # BERT/RoBERTa: GELU MLP of 4h, dropout 0.1, published measurements use eager attention
    return Architecture(name, "transformer", "encoder", params, layers, hidden, heads, heads, 4 * hidden, vocab,
                        False, False, True, "eager", True, 512)


def _t5(name, params, layers, hidden, heads, intermediate):
    # T5 v1.0: ReLU MLP, dropout 0.1, relative position bias keeps it on eager attention
    return Architecture(name, "transformer", "encoder-decoder", params, layers, hidden, heads, heads, intermediate,
                        32128, False, False, True, "eager", True, 512, decoder_layers=layers)


def _vit(name, params, layers, hidden, heads):
    return Architecture(name, "transformer", "vision", params, layers, hidden, heads, heads, 4 * hidden, 0,
                        False, False, False, "sdpa", True, 0, image_size=224, patch_size=16)


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
    _t5("t5-small", 60_506_624, 6, 512, 8, 2048),
    _t5("t5-base", 222_903_552, 12, 768, 12, 3072),
    _t5("t5-large", 737_668_096, 24, 1024, 16, 4096),
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
    _decoder("qwen2.5-0.5b", 494_032_768, 24, 896, 14, 4864, 151936, 32768, kv_heads=2, tied=True),
    _decoder("qwen2.5-1.5b", 1_543_714_304, 28, 1536, 12, 8960, 151936, 32768, kv_heads=2, tied=True),
    _decoder("qwen2.5-7b", 7_615_616_512, 28, 3584, 28, 18944, 152064, 32768, kv_heads=4),
    _resnet("resnet18", 11_689_512, (2, 2, 2, 2), False),
    _resnet("resnet50", 25_557_032, (3, 4, 6, 3), True),
    _resnet("resnet101", 44_549_160, (3, 4, 23, 3), True),
    _vit("vit-b-16", 86_567_656, 12, 768, 12),
    _vit("vit-l-16", 304_326_632, 24, 1024, 16),
    Architecture("efficientnet-b0", "cnn", "cnn", 5_288_548, layers=82, image_size=224,
                 cnn=("efficientnet", _EFFICIENTNET_B0)),
)}

# Hub ids and spellings people use for the same model
ALIASES: dict[str, str] = {
    "gpt2-small": "gpt2", "gpt-2": "gpt2", "openai-community/gpt2": "gpt2",
    "bert-base-uncased": "bert-base", "bert-base-cased": "bert-base", "bert-large-uncased": "bert-large",
    "bert-large-cased": "bert-large", "roberta": "roberta-base",
    "llama2-7b": "llama-2-7b", "llama2-13b": "llama-2-13b", "llama2-70b": "llama-2-70b",
    "meta-llama-3-8b": "llama-3-8b", "meta-llama-3-70b": "llama-3-70b", "llama3-8b": "llama-3-8b",
    "llama3-70b": "llama-3-70b", "llama-3.1-8b": "llama-3-8b", "llama-3.1-70b": "llama-3-70b",
    "mistral-7b-v0.1": "mistral-7b", "mistral-7b-v0.3": "mistral-7b",
    "phi-1_5": "phi-1.5", "phi1.5": "phi-1.5", "phi2": "phi-2",
    "resnet-18": "resnet18", "resnet-50": "resnet50", "resnet-101": "resnet101",
    "vit-base-patch16-224": "vit-b-16", "vit-large-patch16-224": "vit-l-16", "vit-b16": "vit-b-16",
    "vit-l16": "vit-l-16", "vit-base": "vit-b-16", "vit-large": "vit-l-16", "efficientnet_b0": "efficientnet-b0",
}

_SUFFIXES = ("-hf", "-instruct", "-chat", "-chat-hf", "-it")


def canonical(raw: object) -> str:
    """The catalog name for a model name or hub id; ValueError with a suggestion otherwise."""
    text = str(raw).strip().lower().replace("_", "-").replace(" ", "-")
    candidates = [text, text.rsplit("/", 1)[-1]]
    for name in list(candidates):
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                candidates.append(name[: -len(suffix)])
    for name in candidates:
        if name in CATALOG:
            return name
        if name in ALIASES:
            return ALIASES[name]
    close = difflib.get_close_matches(candidates[1], list(CATALOG) + list(ALIASES), n=1, cutoff=0.6)
    hint = f"; did you mean {ALIASES.get(close[0], close[0])!r}?" if close else ""
    raise ValueError(f"{raw!r} is not in the built-in model catalog{hint} (known: {', '.join(CATALOG)}; "
                     f"or describe it with --model-config PATH or --model-params)")


def lookup(raw: object) -> Architecture:
    return CATALOG[canonical(raw)]


def from_params(params: int, family: str | None, depth: int | None, *, decoder: bool = True) -> Architecture:
    """A transformer shape consistent with params ≈ 12·L·h², when only the size is known (rough).

    The aspect ratio follows published decoder families (h ≈ 64·L … 128·L),
    heads of 64-128 dims, a 32k vocabulary; flagged `rough`.
    """
    if family == "cnn":
        return replace(CATALOG["resnet50"], name=f"cnn-{params}", params=params, rough=True)
    if depth:
        layers = depth
    else:
        layers = max(2, round((params / 12 / 100**2) ** (1 / 3)))
    hidden = max(64, int(math.sqrt(params / (12 * layers))) // 64 * 64 or 64)
    heads = max(1, hidden // 128 if hidden >= 2048 else hidden // 64)
    return Architecture(f"transformer-{params}", "transformer", "decoder" if decoder else "encoder", params,
                        layers, hidden, heads, heads, 4 * hidden, 32000 if decoder else 0, False, False, False,
                        "sdpa", False, 2048, rough=True)


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
