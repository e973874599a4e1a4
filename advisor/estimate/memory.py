"""Peak GPU memory of a training or inference run, broken down, from documented formulas.

All figures are GiB (2^30 bytes), what nvidia-smi and PyTorch report. The
estimate is the sum of what is alive at the peak (the end of the forward pass
of a step after the first, when optimizer states exist):

* **Model states**, bytes per parameter (`state_bytes`):
  - fp32 Adam/AdamW: 4 weights + 4 grads + 8 moments = 16 (ZeRO paper,
    Rajbhandari et al. 2020, §3.1).
  - Mixed precision with PyTorch autocast (`--precision bf16|fp16`, the usual
    Trainer/Lightning setup): fp32 weights 4 + their 16-bit copies cached by
    autocast 2, fp32 grads 4, moments 8 = 18 (Hugging Face, "Model training
    anatomy" / "Efficient training on a single GPU").
  - Mixed precision under ZeRO/FSDP (`--zero-stage ≥ 1`): 16-bit weights 2 +
    16-bit grads 2 + fp32 master 4 + moments 8 = 16 (ZeRO paper: 7.5B → 120 GB).
  - Pure bf16 (`bf16-pure`, no fp32 master): 2 + 2 + 2·2 = 8.
  - Optimizer moments: Adam/AdamW 2 states, 8-bit Adam 2 × 1 byte
    (Dettmers et al. 2022), SGD with momentum 1 state, plain SGD none,
    Adafactor a factored second moment of rows + columns per matrix
    (Shazeer & Stern 2018), ≈ 2/hidden states per parameter.
* **LoRA / QLoRA** (Hu et al. 2021; Dettmers et al. 2023): the frozen base
  holds weights only — 16-bit (2 bytes), or NF4 for QLoRA: 0.5 byte plus one
  fp32 absmax per 64-weight block (+0.0625) on the blocks' linear layers, and
  the remaining parameters (embeddings, head, norms) in fp32, as PEFT's
  `prepare_model_for_kbit_training` leaves them. Adapters of rank r add
  r·(in + out) parameters per targeted matrix, trained in fp32 with Adam
  (16 bytes each).
* **Transformer activations** per layer and token, counted tensor by tensor
  after Korthikanti et al. 2022 ("Reducing activation recomputation in large
  transformer models", §4.1: 34·s·b·h + 5·a·s²·b bytes for GPT in 16-bit):
  inputs of the QKV and output projections, Q/K/V, the MLP's input and its
  ff-wide tensors (two for a GELU MLP, four for SwiGLU), the norms' inputs in
  fp32, dropout masks at one byte, and the a·s² softmax/dropout tensors only
  for eager attention (SDPA/FlashAttention keep none). With recomputation
  (gradient checkpointing) each layer keeps only its input, plus one layer's
  activations while it is recomputed (Chen et al. 2016; Korthikanti: 2·s·b·h).
  The same count is used for frozen-base LoRA: every layer is still
  back-propagated through, and litgpt's measured LoRA activations match it.
* **Logits**: b·s·V as the 16-bit output, its fp32 copy and the fp32
  log-softmax the loss keeps (Hugging Face upcasts logits to fp32).
* **CNN activations** from the architecture (`architectures.feature_maps`):
  every conv/BN/activation output autograd keeps, per image.
* **Inference**: weights + KV cache 2·L·d_kv·s·b (16-bit) + one layer's
  working tensors + last-token logits.
* **Sharding** over `gpu_count` GPUs: ZeRO-1 splits optimizer states, ZeRO-2
  also gradients, ZeRO-3/FSDP also weights (plus two gathered layers in
  flight); CPU offload moves optimizer states (and with `all` the weights) to
  host memory.
* **Overhead**: CUDA context (CUDA ≥ 11.7 loads kernels lazily: 0.3-0.6 GiB on
  recent stacks, up to 1.3 GB on older ones) plus the caching allocator's
  slack on memory that is freed and reallocated every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from advisor.setup import architectures
from advisor.setup.architectures import Architecture

GIB = 2**30
CUDA_CONTEXT_GIB = 0.5
ALLOCATOR_SLACK = 0.06   # reserved/allocated of the per-step tensors, PyTorch caching allocator
VISIBLE_FRACTION = 0.96  # a "24 GB" card shows ~23-23.7 GiB to CUDA (less with ECC on)
SAFETY_MARGIN = 0.10     # batch-size finders' "max" batch later OOMs: keep 10% free

MIXED = ("fp16", "bf16")
_NF4_BYTES = 0.5 + 4 / 64  # 4-bit code + one fp32 absmax per 64-weight block (QLoRA §3)
_ADAM_LIKE = ("adam", "adamw", "other")


@dataclass(frozen=True)
class Workload:
    """One run to estimate: the model, how it is trained or served, and on what."""

    arch: Architecture
    mode: str = "training"          # training | inference
    precision: str = "fp32"         # fp32 | fp16 | bf16 (mixed) | bf16-pure | int8 | 4bit
    optimizer: str = "adamw"
    fine_tuning: str = "full"       # full | lora | qlora | none (from scratch)
    lora_rank: int = 8
    lora_targets: str = "qv"        # qv | attention | all-linear
    batch: int = 1
    seq_len: int | None = None
    image_size: int | None = None
    checkpointing: bool = False
    gpu_count: int = 1
    zero_stage: int = 0
    offload: str = "none"           # none | optimizer | all
    task: str | None = None
    assumptions: tuple[str, ...] = ()

    def with_(self, **changes: Any) -> "Workload":
        return replace(self, **changes)

    @property
    def peft(self) -> bool:
        return self.fine_tuning in ("lora", "qlora")


@dataclass(frozen=True)
class Estimate:
    weights: float
    gradients: float
    optimizer: float
    activations: float
    overhead: float
    activations_per_sample: float
    logits: float = 0.0
    kv_cache: float = 0.0
    trainable_params: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def peak(self) -> float:
        return self.weights + self.gradients + self.optimizer + self.activations + self.overhead

    @property
    def model_states(self) -> float:
        return self.weights + self.gradients + self.optimizer

    def breakdown(self) -> dict[str, float]:
        return {"weights": self.weights, "gradients": self.gradients, "optimizer": self.optimizer,
                "activations": self.activations, "overhead": self.overhead}


# --- the card -----------------------------------------------------------------

def visible_gib(gpu_mem_gib: float) -> float:
    """Memory CUDA shows on a card of nominal `gpu_mem_gib` GiB (an "80 GB" card: 80), less driver/ECC reserve."""
    return gpu_mem_gib * VISIBLE_FRACTION


def usable_gib(gpu_mem_gib: float) -> float:
    """Memory the allocator can use on one card: visible memory less the CUDA context."""
    return visible_gib(gpu_mem_gib) - CUDA_CONTEXT_GIB


def limit_gib(gpu_mem_gib: float, margin: float = SAFETY_MARGIN) -> float:
    """Largest estimated peak accepted with `margin` of the visible memory kept free."""
    return visible_gib(gpu_mem_gib) * (1 - margin)


# --- model states ---------------------------------------------------------------

def _moment_states(optimizer: str, hidden: int) -> float:
    """Optimizer state tensors per parameter (in units of one state element)."""
    if optimizer in _ADAM_LIKE:
        return 2.0
    if optimizer == "adamw-8bit":
        return 2.0  # two 8-bit states; counted at 1 byte below
    if optimizer == "sgd":
        return 1.0
    if optimizer == "sgd-plain":
        return 0.0
    if optimizer == "adafactor":
        return 2.0 / max(hidden, 64)
    return 2.0


def _moment_bytes(optimizer: str, hidden: int, state_bytes: float) -> float:
    states = _moment_states(optimizer, hidden)
    return states * (1.0 if optimizer == "adamw-8bit" else state_bytes)


def adapter_params(arch: Architecture, rank: int, targets: str) -> int:
    """Trainable LoRA parameters: r·(in + out) per targeted matrix and layer (Hu et al. 2021)."""
    h, kv, ff = arch.hidden, arch.kv_dim, arch.intermediate
    per_layer = (h + h) + (h + kv)                        # q, v (PEFT's and litgpt's default)
    if targets in ("attention", "all-linear"):
        per_layer += (h + kv) + (h + h)                   # k, o
    if targets == "all-linear":
        per_layer += (3 if arch.gated_mlp else 2) * (h + ff)
    cross = arch.decoder_layers * ((h + h) + (h + kv))
    return rank * (per_layer * arch.total_layers + cross)


def state_bytes(w: Workload) -> tuple[float, float, float, int]:
    """(weights, gradients, optimizer) bytes on one GPU before sharding, and trainable params."""
    arch, p = w.arch, w.arch.params
    hidden = arch.hidden or 1024
    if w.mode == "inference":
        linear = arch.linear_params() if arch.family == "transformer" else p
        per = {"fp32": 4.0, "int8": 1.0, "4bit": _NF4_BYTES}.get(w.precision, 2.0)
        rest = 4.0 if w.precision == "fp32" else 2.0
        return linear * per + (p - linear) * rest, 0.0, 0.0, 0
    if w.peft:
        linear = arch.linear_params() if arch.family == "transformer" else p
        if w.fine_tuning == "qlora":
            base = linear * _NF4_BYTES + (p - linear) * 4.0
        elif w.precision == "int8":
            base = linear * 1.0 + (p - linear) * 2.0
        else:
            base = p * (4.0 if w.precision == "fp32" else 2.0)
        n = adapter_params(arch, w.lora_rank, w.lora_targets) if arch.family == "transformer" else p // 100
        return base + 4.0 * n, 4.0 * n, _moment_bytes(w.optimizer, hidden, 4.0) * n, n
    if w.precision == "bf16-pure":
        return 2.0 * p, 2.0 * p, _moment_bytes(w.optimizer, hidden, 2.0) * p, p
    if w.precision in MIXED:
        if w.zero_stage >= 1:
            return 2.0 * p, 2.0 * p, (4.0 + _moment_bytes(w.optimizer, hidden, 4.0)) * p, p
        return 6.0 * p, 4.0 * p, _moment_bytes(w.optimizer, hidden, 4.0) * p, p
    return 4.0 * p, 4.0 * p, _moment_bytes(w.optimizer, hidden, 4.0) * p, p


# --- activations ------------------------------------------------------------------

def _element_bytes(w: Workload) -> int:
    """Bytes of one saved activation element: 4 in fp32, 2 under 16-bit compute."""
    return 4 if w.precision == "fp32" else 2


def _attention_bytes(arch: Architecture, s: int, e: int, eager: bool) -> float:
    h, kv, a = arch.hidden, arch.kv_dim, arch.heads
    total = e * h + e * (h + 2 * kv) + e * h          # QKV input, Q/K/V, output-projection input
    if eager:
        total += e * a * s                            # softmax output
        if arch.dropout:
            total += a * s + e * a * s                # its dropout mask and output
    else:
        total += e * h + 4 * a                        # SDPA output and log-sum-exp
    if arch.dropout:
        total += h                                    # dropout mask after the projection
    return total


def layer_bytes_per_token(arch: Architecture, s: int, e: int, *, eager: bool, cross: bool = False) -> float:
    """Activation bytes one transformer block keeps per token (see module docstring)."""
    h, ff = arch.hidden, arch.intermediate
    norms = (1 if arch.parallel_block else 2) * 4 * h
    mlp = (0 if arch.parallel_block else e * h) + (4 if arch.gated_mlp else 2) * e * ff + (h if arch.dropout else 0)
    total = norms + _attention_bytes(arch, s, e, eager) + mlp
    if cross:
        total += 4 * h + _attention_bytes(arch, s, e, eager)
    return total


def _logit_bytes_per_token(w: Workload) -> float:
    arch = w.arch
    needs_vocab = arch.vocab and (arch.kind in ("decoder", "encoder-decoder")
                                  or w.task in ("language-modeling", "seq2seq"))
    if not needs_vocab:
        return 0.0
    e = _element_bytes(w)
    return arch.vocab * (e + (4 if e < 4 else 0) + 4)


def _cnn_activation_bytes(w: Workload) -> float:
    arch = w.arch
    maps = architectures.feature_maps(arch, w.image_size)
    e = _element_bytes(w)
    scale = math.sqrt(arch.params / 25_557_032) if arch.rough else 1.0
    stages: dict[int, float] = {}
    for stage, elements in maps:
        stages[stage] = stages.get(stage, 0.0) + elements
    if not w.checkpointing:
        return sum(stages.values()) * e * scale
    # checkpoint each stage: keep stage inputs, recompute one stage at a time
    firsts: dict[int, float] = {}
    for stage, elements in maps:
        firsts.setdefault(stage, elements / 2)
    return (sum(firsts.values()) + max(stages.values())) * e * scale


def activation_bytes_per_sample(w: Workload) -> tuple[float, float]:
    """(activation bytes kept per sample incl. logits, of which logits) for training."""
    arch = w.arch
    if arch.family == "cnn":
        return _cnn_activation_bytes(w), 0.0
    s = arch.tokens(w.seq_len, w.image_size)
    if not s:
        return 0.0, 0.0
    e = _element_bytes(w)
    eager = arch.attention == "eager"
    enc = layer_bytes_per_token(arch, s, e, eager=eager)
    dec = layer_bytes_per_token(arch, s, e, eager=eager, cross=True) if arch.decoder_layers else 0.0
    logits = _logit_bytes_per_token(w) * s
    # one layer's gradients are in flight beside what is kept while backward walks the stack
    in_flight = max(enc, dec) * s
    if w.checkpointing:
        resid = 4 if w.precision == "fp32" or (w.precision in MIXED and not w.peft) else 2
        kept = resid * arch.hidden * s * arch.total_layers + max(enc, dec) * s + in_flight
    else:
        kept = (enc * arch.layers + dec * arch.decoder_layers) * s + in_flight
    embed = (e + (1 if arch.dropout else 0)) * arch.hidden * s
    return kept + embed + logits, logits


def _inference_bytes(w: Workload) -> tuple[float, float, float]:
    """(working activations, KV cache, logits) bytes for one forward at batch b."""
    arch, b = w.arch, w.batch
    e = 4 if w.precision == "fp32" else 2
    if arch.family == "cnn":
        maps = [m for _, m in architectures.feature_maps(arch, w.image_size)]
        pair = max(x + y for x, y in zip(maps, maps[1:])) if len(maps) > 1 else sum(maps)
        return pair * e * b, 0.0, 0.0
    s = arch.tokens(w.seq_len, w.image_size)
    h, kv, ff = arch.hidden, arch.kv_dim, arch.intermediate
    working = b * s * e * (2 * h + 2 * kv + (3 if arch.gated_mlp else 2) * ff)
    if arch.attention == "eager":
        working += b * e * arch.heads * s * s
    kv_cache = 0.0
    if arch.kind in ("decoder", "encoder-decoder"):
        kv_cache = 2 * (arch.layers if arch.kind == "decoder" else arch.decoder_layers * 2) * kv * s * b * e
    logits = b * arch.vocab * 4 if arch.kind in ("decoder", "encoder-decoder") else 0.0
    return working, kv_cache, logits


# --- the estimate -------------------------------------------------------------------

def estimate(w: Workload) -> Estimate:
    """Peak memory per GPU for workload `w` (GiB), broken down."""
    weights, grads, optim, trainable = state_bytes(w)
    n = max(1, w.gpu_count)
    notes = list(w.assumptions)
    gathered = 0.0
    if w.mode == "training" and w.zero_stage and n > 1:
        optim /= n
        if w.zero_stage >= 2:
            grads /= n
        if w.zero_stage >= 3:
            weights /= n
            layer = w.arch.params / max(1, w.arch.total_layers or 1)
            gathered = 2 * layer * 2  # two 16-bit layers gathered in flight (prefetch)
    if w.mode == "training" and w.offload in ("optimizer", "all"):
        optim = 0.0
        if w.offload == "all":
            layer = w.arch.params / max(1, w.arch.total_layers or 1)
            weights = min(weights, 2 * layer * 2)
    if w.mode == "inference":
        working, kv_cache, logits = _inference_bytes(w)
        acts = working + kv_cache + logits
        per_sample = acts / max(1, w.batch)
    else:
        per_sample, logit_bytes = activation_bytes_per_sample(w)
        acts = per_sample * w.batch
        logits = logit_bytes * w.batch
        kv_cache = 0.0
    overhead = CUDA_CONTEXT_GIB * GIB + ALLOCATOR_SLACK * (acts + grads) + gathered
    if w.arch.rough:
        notes.append(f"model shape guessed from {w.arch.params:,} parameters alone: a rough estimate "
                     "(give --model or --model-config for its real dimensions)")
    return Estimate(weights=weights / GIB, gradients=grads / GIB, optimizer=optim / GIB, activations=acts / GIB,
                    overhead=overhead / GIB, activations_per_sample=per_sample / GIB, logits=logits / GIB,
                    kv_cache=kv_cache / GIB, trainable_params=trainable, notes=tuple(notes))


# --- from a setup ---------------------------------------------------------------------

# The setup fields an estimate reads; workload_from_setup sees only these, so a cache keyed on them is exact.
ESTIMATE_KEYS = ("model_config", "model", "model_params", "model_family", "task", "depth", "seq_len", "image_size",
                 "batch_size", "mode", "precision", "optimizer", "fine_tuning", "lora_rank", "lora_targets",
                 "gradient_checkpointing", "gpu_count", "zero_stage", "offload")


def estimate_key(setup: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The part of a setup an estimate depends on, as a hashable key (every value there is a scalar)."""
    return tuple((k, setup[k]) for k in ESTIMATE_KEYS if setup.get(k) is not None)


def architecture_for(setup: dict[str, Any]) -> Architecture | None:
    """The model the setup describes: catalog name, config.json, or parameter count (rough)."""
    if setup.get("model_config"):
        from advisor.setup import modelconfig
        return modelconfig.read(setup["model_config"])
    if setup.get("model"):
        return architectures.lookup(setup["model"])
    if setup.get("model_params"):
        family = setup.get("model_family")
        if family is None and setup.get("image_size") and not setup.get("seq_len"):
            family = "cnn"
        decoder = setup.get("task") in (None, "language-modeling", "seq2seq")
        return architectures.from_params(setup["model_params"], family, setup.get("depth"), decoder=decoder)
    return None


def workload_from_setup(setup: dict[str, Any]) -> Workload | None:
    """Workload for a normalised setup, with the defaults it assumes listed; None without a model."""
    setup = dict(estimate_key(setup))
    arch = architecture_for(setup)
    if arch is None:
        return None
    assumed: list[str] = []
    precision = setup.get("precision")
    if precision is None:
        precision = "fp32"
        assumed.append("precision fp32 (give --precision bf16 for mixed precision)")
    fine_tuning = setup.get("fine_tuning")
    if fine_tuning is None:
        fine_tuning = {"4bit": "qlora", "int8": "lora"}.get(precision, "full")
    if fine_tuning == "qlora" and precision not in (*MIXED, "bf16-pure"):
        precision = "bf16"  # QLoRA computes in 16-bit on a 4-bit base
    elif fine_tuning in ("full", "none") and precision in ("int8", "4bit"):
        precision = "bf16"
        assumed.append("full training cannot keep 4-bit/int8 weights: estimated in bf16")
    seq_len = setup.get("seq_len")
    if setup.get("model_family") in ("mlp", "tree") and arch.rough:
        seq_len = None  # no sequence: activations are not modelled for these families
        assumed.append("activations not modelled for this model family")
    elif seq_len is None and arch.family == "transformer" and arch.kind != "vision":
        seq_len = min(512, arch.max_seq_len or 512)
        assumed.append(f"sequence length {seq_len} tokens (give --seq-len)")
    image_size = setup.get("image_size") or (arch.image_size or None)
    batch = setup.get("batch_size")
    if batch is None:
        batch = 1
        assumed.append("micro-batch 1 (give --batch-size)")
    return Workload(
        arch=arch, mode=setup.get("mode", "training"), precision=precision,
        optimizer=setup.get("optimizer", "adamw"), fine_tuning=fine_tuning,
        lora_rank=setup.get("lora_rank", 8), lora_targets=setup.get("lora_targets", "qv"), batch=batch,
        seq_len=seq_len, image_size=image_size, checkpointing=bool(setup.get("gradient_checkpointing")),
        gpu_count=setup.get("gpu_count", 1), zero_stage=setup.get("zero_stage", 0),
        offload=setup.get("offload", "none"), task=setup.get("task"), assumptions=tuple(assumed))


def max_micro_batch(w: Workload, limit: float, cap: int = 1 << 16) -> int:
    """Largest power-of-two micro-batch whose peak stays within `limit` GiB (0: not even one)."""
    if estimate(w.with_(batch=1)).peak > limit:
        return 0
    batch = 1
    while batch < cap and estimate(w.with_(batch=batch * 2)).peak <= limit:
        batch *= 2
    return batch
