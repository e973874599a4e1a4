"""Peak GPU memory of a training or inference run, broken down, from documented formulas.

All figures are GiB (2^30 bytes). Three peaks are reported, because users compare with three readings:

* `peak_allocated` — `torch.cuda.max_memory_allocated()`: the largest sum of live tensors.
* `peak_reserved` — `torch.cuda.max_memory_reserved()`: allocated plus the caching allocator's reserve
  (blocks cached after being freed, rounding, fragmentation).
* `peak` — what `nvidia-smi` shows: reserved plus the CUDA context (driver state, kernel images).

**Where the peak happens.** A training step is a timeline; the estimate takes the largest of its phases
(PyTorch frees gradients before the forward pass, `zero_grad(set_to_none=True)`, the default since 2.0):

* backward start: weights (+ autocast's 16-bit weight copies) + optimizer states + every saved activation +
  the logits and their gradient (+ gradients when accumulating over micro-batches);
* backward end: weights + optimizer states + all gradients + one layer in flight;
* optimizer step: weights + gradients + states + the foreach implementation's parameter-sized temporary
  (PyTorch's Adam/AdamW/SGD docs: "foreach uses ~ sizeof(params) more peak memory"; torchtune PR #389
  measured it on Llama-2-7B).

**Model states**, bytes per parameter:
  - fp32 Adam/AdamW: 4 weights + 4 grads + 8 moments (ZeRO paper, Rajbhandari et al. 2020, §3.1).
  - PyTorch autocast (`bf16`/`fp16`): fp32 weights 4 + the 16-bit copies autocast caches of the weights the
    matmuls read 2 (alive until backward frees the graph), fp32 grads 4, moments 8 (HF "Model training
    anatomy"). Under ZeRO/FSDP: 16-bit weights 2 + grads 2 + fp32 master 4 + moments 8 (ZeRO: 7.5B → 120 GB).
  - Pure bf16 (`bf16-pure`, litgpt's bf16-true): 2 + 2 + 2·2.
  - Moments: Adam 2 states, 8-bit Adam 2 × 1 byte (Dettmers et al. 2022), SGD momentum 1, plain SGD 0,
    Adafactor a factored second moment (Shazeer & Stern 2018), ≈ 2/hidden.
* **Quantised weights**: NF4 is 0.5 byte + one fp32 absmax per 64-weight block (+0.0625); double
  quantisation stores the absmax in 8 bits with one fp32 constant per 256 blocks (+0.0157): 0.5625 vs
  0.5159 bytes/param (QLoRA paper, Dettmers et al. 2023, §3). transformers/PEFT keep the output head
  unquantised (`get_keys_to_not_convert`); litgpt quantises every Linear. `prepare_model_for_kbit_training`
  casts the unquantised parameters to fp32. LLM.int8: 1 byte per linear weight.
* **LoRA** (Hu et al. 2021): a frozen base, adapters of rank r add r·(in + out) parameters per targeted matrix,
  trained in fp32 with Adam; each adapter's input passes through LoRA dropout (a copy plus a 1-byte mask).
* **Transformer activations** per layer and token, tensor by tensor, after Korthikanti et al. 2022 §4.1
  (34·s·b·h + 5·a·s²·b bytes for GPT in 16-bit), with what the implementations actually save:
  - norms: LayerNorm saves its input (fp32 under autocast, which upcasts layer_norm; 2 bytes in pure bf16);
    RMSNorm (Llama, T5) upcasts to fp32 inside and saves that copy and its normalised output;
  - under autocast each projection casts its fp32 input to 16 bits itself, so separate q/k/v projections
    keep three copies of the normed input (two for a gated MLP's gate/up); fused QKV keeps one;
  - Q, K, V after RoPE (K and V expanded to every head by `repeat_kv` for grouped-query attention), the
    attention output and the output projection's input;
  - eager attention keeps the a·s² probabilities: fp32 when autocast upcasts softmax (and for models that
    softmax in fp32), a 1-byte dropout mask and the 16-bit copy the next matmul reads; SDPA/FlashAttention
    keep only a log-sum-exp per row;
  - MLP: ff-wide tensors, two for GELU/ReLU, four for a gated MLP, times the experts a token is routed to
    (mixture of experts: all experts' weights resident, top-k experts' activations);
  - dropout masks at one byte.
  With recomputation (gradient checkpointing) each layer keeps its input, plus one layer's activations while it
  is recomputed (Chen et al. 2016), plus the logits. One layer's worth of gradients is in flight in backward.
* **Logits** at the vocabulary width: transformers keeps the 16-bit logits it returns and the fp32
  log-softmax of their fp32 upcast, and backward adds the fp32 gradient (`cross_entropy="upcast"`);
  litgpt's chunked cross-entropy stays in the compute dtype (`chunked`); fused linear cross-entropy
  (Liger, Cut Cross-Entropy) never materialises them (`fused`).
* **CNN activations** from the architecture (`architectures.feature_maps`).
* **Inference**: weights + KV cache 2·L·d_kv·(prompt + new tokens)·b (16-bit) + one layer's working tensors
  at the prompt length + the last token's fp32 logits; a 4-bit/8-bit base dequantises one weight matrix at a
  time to 16 bits for the prompt's matmuls.
* **Sharding** over `gpu_count` GPUs: ZeRO-1 splits optimizer states, ZeRO-2 also gradients, ZeRO-3/FSDP
  also weights (plus two gathered layers in flight); CPU offload moves states (and with `all` weights) out.
* **Allocator reserve**: the caching allocator keeps freed blocks for reuse; the memory freed and allocated
  again each step (activations, gradients, temporaries) fragments. Modelled as `RESERVE_FRACTION` of that
  per-step memory, never of the persistent weights and states.
* **CUDA context**: see `cuda_context_gib`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, NamedTuple

from advisor.setup import architectures, fields
from advisor.setup.architectures import Architecture

GIB = 2**30
VISIBLE_FRACTION = 0.96  # a "24 GB" card shows ~23-23.7 GiB to CUDA (less with ECC on)
SAFETY_MARGIN = 0.10     # batch-size finders' "max" batch later OOMs: keep 10% free

# CUDA context (driver state + kernel images loaded by the process), as nvidia-smi counts it beside the
# allocator's memory. Since CUDA 11.7 with PyTorch >= 2.0 modules load lazily (CUDA_MODULE_LOADING=LAZY,
# https://docs.nvidia.com/cuda/cuda-c-programming-guide/#lazy-loading): only the kernels used are loaded,
# a few hundred MiB; before that every kernel image of cuDNN/cuBLAS/PyTorch loaded at start:
# 1343 MiB measured on a V100 with CUDA 11.2 (HF "Efficient training on a single GPU", torch.ones on cuda).
CUDA_CONTEXT_GIB = 0.5           # assumed: lazy loading (PyTorch >= 2.0, CUDA >= 11.7)
CUDA_CONTEXT_EAGER_GIB = 1343 / 1024
# Reserve of the caching allocator (reserved - allocated) as a share of the memory freed and allocated
# again within a step. The nine nvidia-smi figures of HF's single-GPU guide (BERT-large, V100, PyTorch 1.10,
# context measured separately) put it at 20-30% of the activations; the BERT-large fp32 reading was
# about 20%. An assumption for other PyTorch versions (expandable_segments changes it) and workloads.
RESERVE_FRACTION = 0.25

MIXED = ("fp16", "bf16")
NF4_BYTES = 0.5 + 4 / 64                   # 4-bit code + fp32 absmax per 64 weights (QLoRA §3)
NF4_DQ_BYTES = 0.5 + 1 / 64 + 4 / (64 * 256)  # double quantisation: 8-bit absmax + fp32 per 256 blocks
_ADAM_LIKE = ("adam", "adamw", "other")
_FOREACH = ("adam", "adamw", "other", "sgd", "sgd-plain")  # torch.optim with foreach=None on CUDA
CROSS_ENTROPY = ("upcast", "chunked", "fused")
ATTENTION = ("eager", "sdpa")


def cuda_context_gib(lazy: bool = True) -> float:
    """CUDA context as nvidia-smi shows it. The card generation changes it little next to module loading
    (lazy: the kernels a run uses; eager: all of them); no per-generation measurement was found, so one
    figure serves every card: an assumption, stated in the estimate's notes."""
    return CUDA_CONTEXT_GIB if lazy else CUDA_CONTEXT_EAGER_GIB


class Workload(NamedTuple):
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
    # how the run is implemented (defaults: current transformers + PyTorch >= 2.0)
    attention: str | None = None    # eager | sdpa; None: what the model's usual implementation uses
    cross_entropy: str = "upcast"   # upcast | chunked | fused (see module docstring)
    foreach: bool = True            # torch.optim's multi-tensor step (default on CUDA)
    accumulation: bool = False      # gradients alive through the next micro-batch's forward
    double_quant: bool = False      # NF4 double quantisation (bnb_4bit_use_double_quant)
    quantized_head: bool = False    # the output head is quantised too (litgpt), not only the blocks (PEFT)
    kbit_prep: bool = True          # prepare_model_for_kbit_training: unquantised params and residual in fp32
    new_tokens: int = 0             # inference: tokens generated after the prompt (KV cache length)
    lora_dropout: bool = True       # adapters' inputs pass through dropout (PEFT examples, litgpt: 0.05)
    cuda_context_gib: float | None = None  # measured context, when known

    def with_(self, **changes: Any) -> "Workload":
        return self._replace(**changes)

    @property
    def peft(self) -> bool:
        return self.fine_tuning in ("lora", "qlora")


class Estimate(NamedTuple):
    """Memory at the peak phase (GiB), its parts, and the three readings."""

    weights: float
    gradients: float
    optimizer: float
    activations: float
    temporary: float                # logits gradient, layer in flight, foreach step, dequantised weight
    reserve: float                  # caching allocator: reserved - allocated
    context: float                  # CUDA context
    activations_per_sample: float
    logits: float = 0.0
    kv_cache: float = 0.0
    trainable_params: int = 0
    phase: str = ""
    phases: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()
    states: float = 0.0             # weights + gradients + optimizer states per GPU, whatever the phase

    @property
    def model_states(self) -> float:
        return self.states

    @property
    def peak_allocated(self) -> float:
        return self.weights + self.gradients + self.optimizer + self.activations + self.temporary

    @property
    def peak_reserved(self) -> float:
        return self.peak_allocated + self.reserve

    @property
    def peak(self) -> float:
        """What nvidia-smi shows at the peak: reserved + CUDA context (the card's memory is compared with this)."""
        return self.peak_reserved + self.context

    @property
    def overhead(self) -> float:
        return self.temporary + self.reserve + self.context

    def breakdown(self) -> dict[str, float]:
        return {"weights": self.weights, "gradients": self.gradients, "optimizer": self.optimizer,
                "activations": self.activations, "temporary": self.temporary, "allocator_reserve": self.reserve,
                "cuda_context": self.context}


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
    if optimizer in ("sgd",):
        return 1.0
    if optimizer == "sgd-plain":
        return 0.0
    if optimizer == "adafactor":
        return 2.0 / max(hidden, 64)
    return 2.0  # Adam, AdamW, 8-bit Adam (two 1-byte states), other


def _moment_bytes(optimizer: str, hidden: int, state_bytes: float) -> float:
    return _moment_states(optimizer, hidden) * (1.0 if optimizer == "adamw-8bit" else state_bytes)


def adapter_params(arch: Architecture, rank: int, targets: str) -> int:
    """Trainable LoRA parameters: r·(in + out) per targeted matrix and layer (Hu et al. 2021)."""
    h, q, kv, ff = arch.hidden, arch.q_dim, arch.kv_dim, arch.intermediate
    per_layer = (h + q) + (h + kv)                        # q, v (PEFT's and litgpt's default)
    if targets in ("attention", "all-linear"):
        per_layer += (h + kv) + (q + h)                   # k, o
    if targets == "all-linear":
        per_layer += (3 if arch.gated_mlp else 2) * (h + ff) * arch.mlp_copies[0]
    cross = arch.decoder_layers * ((h + q) + (h + kv))
    return rank * (per_layer * arch.total_layers + cross)


def _quantized_bytes(w: Workload) -> float:
    if w.precision == "int8":
        return 1.0
    return NF4_DQ_BYTES if w.double_quant else NF4_BYTES


def _head_params(arch: Architecture) -> int:
    return arch.vocab * arch.hidden if arch.vocab and not arch.tied_embeddings else 0


def state_bytes(w: Workload) -> tuple[float, float, float, int]:
    """(weights, gradients, optimizer) bytes on one GPU before sharding, and trainable params."""
    arch, p = w.arch, w.arch.params
    hidden = arch.hidden or 1024
    linear = arch.linear_params() if arch.family == "transformer" else p
    quantized = w.precision in ("int8", "4bit") or w.fine_tuning == "qlora"
    if quantized and arch.family == "transformer":
        packed = linear + (_head_params(arch) if w.quantized_head else 0)
        rest_bytes = 4.0 if (w.mode == "training" and w.kbit_prep) else 2.0
        base = packed * _quantized_bytes(w.with_(precision="4bit" if w.fine_tuning == "qlora" else w.precision)) \
            + (p - packed) * rest_bytes
    elif quantized:
        base = p * _quantized_bytes(w)
    else:
        base = p * (4.0 if w.precision == "fp32" else 2.0 if w.mode == "inference" or w.peft else 0.0)
    if w.mode == "inference":
        return base, 0.0, 0.0, 0
    if w.peft:
        n = adapter_params(arch, w.lora_rank, w.lora_targets) if arch.family == "transformer" else p // 100
        return base + 4.0 * n, 4.0 * n, _moment_bytes(w.optimizer, hidden, 4.0) * n, n
    if w.precision == "bf16-pure":
        return 2.0 * p, 2.0 * p, _moment_bytes(w.optimizer, hidden, 2.0) * p, p
    if w.precision in MIXED:
        if w.zero_stage >= 1:
            return 2.0 * p, 2.0 * p, (4.0 + _moment_bytes(w.optimizer, hidden, 4.0)) * p, p
        return 4.0 * p, 4.0 * p, _moment_bytes(w.optimizer, hidden, 4.0) * p, p
    return 4.0 * p, 4.0 * p, _moment_bytes(w.optimizer, hidden, 4.0) * p, p


def autocast_copies(w: Workload) -> float:
    """Bytes of the 16-bit weight copies autocast caches for one step (full training, fp32 weights, no ZeRO)."""
    if w.mode != "training" or w.precision not in MIXED or w.peft or w.zero_stage >= 1:
        return 0.0
    linear = w.arch.linear_params() + _head_params(w.arch) if w.arch.family == "transformer" else w.arch.params
    return 2.0 * linear


# --- activations ------------------------------------------------------------------

class _Dtypes(NamedTuple):
    e: int          # compute dtype: what matmuls save
    resid: int      # residual stream: what a layer's input (its checkpoint) is held in
    autocast: bool  # projections cast their (fp32) inputs themselves: one copy per projection


def _dtypes(w: Workload) -> _Dtypes:
    if w.precision == "fp32" and not w.peft:
        return _Dtypes(4, 4, False)
    if w.precision == "fp32":  # LoRA on an fp32 base
        return _Dtypes(4, 4, False)
    mixed = w.precision in MIXED
    qlora_fp32 = w.fine_tuning == "qlora" and w.kbit_prep
    resid = 4 if (mixed and not w.peft) or qlora_fp32 else 2
    return _Dtypes(2, resid, resid == 4)


def _norm_bytes(arch: Architecture, d: _Dtypes) -> float:
    """Bytes one norm saves per element of its input."""
    if arch.rms_norm:
        return 4 + d.resid            # the fp32 upcast (shared when already fp32) and the normalised output
    return 4 if d.resid == 4 or d.autocast else 2


def _lora_reads(w: Workload) -> set[str]:
    """The frozen projections whose input LoRA reads too (an adapter on them)."""
    if not w.peft:
        return set()
    return {"qv": {"q", "v"}, "attention": {"q", "k", "v", "o"}}.get(w.lora_targets, {"q", "k", "v", "o", "mlp"})


def _input_bytes(w: Workload, d: _Dtypes, width: int, readers: int, adapted: int) -> float:
    """Bytes saved for projections reading one `width`-wide input per token.

    Autograd saves a linear layer's input only when its weight is trained (a saved tensor is kept only for
    the gradients that will be computed), so on a 16-bit frozen base only the `adapted` LoRA inputs remain,
    each a dropout output plus its 1-byte mask. bitsandbytes' 4-bit matmul keeps its input whenever any
    input needs a gradient (`MatMul4Bit.forward`: `ctx.tensors = (A, B)`), so a QLoRA base keeps them all.
    `readers` projections keep one copy each under autocast, which casts per call, else one shared tensor.
    """
    keeps = not w.peft or w.fine_tuning == "qlora"
    total = d.e * width * (readers if d.autocast else 1) if keeps else 0.0
    if adapted:
        total += (d.e + 1) * width * adapted if w.lora_dropout else (0.0 if keeps else d.e * width)
    return total


def _attention_bytes(arch: Architecture, s: int, d: _Dtypes, eager: bool, w: Workload) -> float:
    e, h, q, kv, a = d.e, arch.hidden, arch.q_dim, arch.kv_dim, arch.heads
    lora = _lora_reads(w)
    readers = 1 if arch.fused_qkv else 3
    adapted = min(readers, len(lora & {"q", "k", "v"}))
    saved_kv = q if (arch.kv_heads and arch.kv_heads < arch.heads) else kv  # repeat_kv expands K/V to every head
    total = _input_bytes(w, d, h, readers, adapted) + e * (q + 2 * saved_kv)  # projections' input, Q/K/V
    total += _input_bytes(w, d, q, 1, int("o" in lora))                        # output projection's input
    if eager:
        softmax = 4 if (d.autocast or d.e == 4 or arch.rms_norm) else e  # Llama-style models softmax in fp32
        probs = softmax + ((1 + e) if arch.dropout else (e if e != softmax else 0))
        total += probs * a * s
    else:
        total += e * q + 4 * a                                          # SDPA output and log-sum-exp
    if arch.dropout:
        total += h                                                      # dropout mask after the projection
    return total


def layer_bytes_per_token(arch: Architecture, s: int, e: int, *, eager: bool, cross: bool = False,
                          w: Workload | None = None) -> float:
    """Activation bytes one transformer block keeps per token (see module docstring)."""
    w = w or Workload(arch=arch, precision="fp32" if e == 4 else "bf16-pure")
    d = _dtypes(w)
    h, ff = arch.hidden, arch.intermediate
    norm = _norm_bytes(arch, d) * h
    norms = (1 if arch.parallel_block else 2) * norm
    experts = arch.mlp_copies[1]
    adapted = "mlp" in _lora_reads(w)
    up = 2 if arch.gated_mlp else 1
    mlp = 0.0 if arch.parallel_block else _input_bytes(w, d, h, up, up if adapted else 0)
    # ff-wide: the activation's input and (gated) the gate, up and product; the down projection's input
    # is saved only when it is trained
    inner = (3 if arch.gated_mlp else 1) * e * ff + _input_bytes(w, d, ff, 1, int(adapted))
    mlp += inner * experts + (h if arch.dropout else 0)
    if arch.experts:
        mlp += e * h * experts + 4 * arch.experts                       # tokens gathered per expert, router
    total = norms + _attention_bytes(arch, s, d, eager, w) + mlp
    if cross:
        total += norm + _attention_bytes(arch, s, d, eager, w)
    return total


def _logit_bytes_per_token(w: Workload) -> tuple[float, float]:
    """(bytes kept per token for the loss, bytes its backward adds) at the vocabulary width."""
    arch = w.arch
    needs_vocab = arch.vocab and (arch.kind in ("decoder", "encoder-decoder")
                                  or w.task in ("language-modeling", "seq2seq"))
    if not needs_vocab:
        return 0.0, 0.0
    e = _dtypes(w).e
    if w.cross_entropy == "fused":
        return 0.0, 0.0
    if w.cross_entropy == "chunked":
        return arch.vocab * 2 * e, arch.vocab * e
    return arch.vocab * (e + 4), arch.vocab * (4 + (e if e < 4 else 0))


def _cnn_activation_bytes(w: Workload) -> float:
    arch = w.arch
    maps = architectures.feature_maps(arch, w.image_size)
    e = _dtypes(w).e
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


def _eager(w: Workload) -> bool:
    return (w.attention or w.arch.attention) == "eager"


def activation_bytes_per_sample(w: Workload) -> tuple[float, float, float]:
    """(activation bytes kept per sample incl. logits, of which logits, backward's transient) for training."""
    arch = w.arch
    if arch.family == "cnn":
        kept = _cnn_activation_bytes(w)
        largest = max((m for _, m in architectures.feature_maps(arch, w.image_size)), default=0)
        return kept, 0.0, 2 * largest * _dtypes(w).e  # the gradients of one layer's input and output
    s = arch.tokens(w.seq_len, w.image_size)
    if not s:
        return 0.0, 0.0, 0.0
    d = _dtypes(w)
    eager = _eager(w)
    enc = layer_bytes_per_token(arch, s, d.e, eager=eager, w=w)
    dec = layer_bytes_per_token(arch, s, d.e, eager=eager, cross=True, w=w) if arch.decoder_layers else 0.0
    logit_kept, logit_grad = (x * s for x in _logit_bytes_per_token(w))
    layer = max(enc, dec) * s
    if w.fine_tuning == "qlora":  # one weight matrix dequantised to 16 bits at a time, per sample's share
        logit_grad += _dequantized_bytes(w) / max(1, w.batch)
    if w.checkpointing:
        kept = d.resid * arch.hidden * s * arch.total_layers + layer   # checkpoints + one recomputed layer
    else:
        kept = (enc * arch.layers + dec * arch.decoder_layers) * s
    ends = (d.e + (1 if arch.dropout else 0)) * arch.hidden * s + _norm_bytes(arch, d) * arch.hidden * s
    # one layer's gradients are in flight beside what is kept while backward walks the stack
    return kept + ends + logit_kept, logit_kept, layer + logit_grad


def _inference_bytes(w: Workload) -> tuple[float, float, float]:
    """(working activations, KV cache, logits) bytes for one forward at batch b."""
    arch, b = w.arch, w.batch
    e = 4 if w.precision == "fp32" else 2
    if arch.family == "cnn":
        maps = [m for _, m in architectures.feature_maps(arch, w.image_size)]
        pair = max(x + y for x, y in zip(maps, maps[1:])) if len(maps) > 1 else sum(maps)
        return pair * e * b, 0.0, 0.0
    s = arch.tokens(w.seq_len, w.image_size)
    h, q, kv, ff = arch.hidden, arch.q_dim, arch.kv_dim, arch.intermediate
    working = b * s * e * (2 * h + q + 2 * kv + (3 if arch.gated_mlp else 2) * ff * arch.mlp_copies[1])
    if _eager(w):
        working += b * e * arch.heads * s * s
    kv_cache = 0.0
    if arch.kind in ("decoder", "encoder-decoder"):
        tokens = s + w.new_tokens
        layers = arch.layers if arch.kind == "decoder" else arch.decoder_layers * 2
        kv_cache = 2 * layers * kv * tokens * b * e
    logits = b * arch.vocab * 4 if arch.kind in ("decoder", "encoder-decoder") else 0.0
    if w.precision in ("int8", "4bit") and arch.family == "transformer":
        working += _dequantized_bytes(w)
    return working, kv_cache, logits


def _dequantized_bytes(w: Workload) -> float:
    """bitsandbytes dequantises one weight matrix at a time to 16 bits for a matmul over many tokens."""
    arch = w.arch
    return 2.0 * max(arch.hidden * arch.intermediate, arch.hidden * arch.q_dim,
                     arch.hidden * arch.vocab if w.quantized_head else 0)


# --- the estimate -------------------------------------------------------------------

def _optimizer_temporary(w: Workload, trainable_bytes_each: float, trainable: int) -> float:
    """The foreach step's parameter-sized intermediates (torch.optim docs), sharded like the states."""
    if not w.foreach or w.optimizer not in _FOREACH or w.optimizer == "sgd-plain":
        return 0.0
    return trainable * trainable_bytes_each


@lru_cache(maxsize=4096)  # workloads and estimates are immutable; the planner asks for the same ones often
def estimate(w: Workload) -> Estimate:
    """Peak memory per GPU for workload `w` (GiB), broken down at the phase where it peaks."""
    weights, grads, optim, trainable = state_bytes(w)
    n = max(1, w.gpu_count)
    notes = list(w.assumptions)
    gathered = 0.0
    master_each = 2.0 if w.precision == "bf16-pure" and not w.peft else 4.0
    temp_opt = _optimizer_temporary(w, master_each, trainable)
    cache = autocast_copies(w)
    if w.mode == "training" and w.zero_stage and n > 1:
        optim /= n
        temp_opt /= n
        if w.zero_stage >= 2:
            grads /= n
        if w.zero_stage >= 3:
            weights /= n
            layer = w.arch.params / max(1, w.arch.total_layers or 1)
            gathered = 2 * layer * 2  # two 16-bit layers gathered in flight (prefetch)
    if w.mode == "training" and w.offload in ("optimizer", "all"):
        optim = temp_opt = 0.0
        if w.offload == "all":
            layer = w.arch.params / max(1, w.arch.total_layers or 1)
            weights = min(weights, 2 * layer * 2)
    context = (w.cuda_context_gib * GIB) if w.cuda_context_gib is not None else cuda_context_gib() * GIB
    if w.mode == "inference":
        working, kv_cache, logits = _inference_bytes(w)
        acts = kv_cache + logits
        per_sample = (working + acts) / max(1, w.batch)
        phases = {"forward": weights + acts + working}
        parts = {"forward": (weights, 0.0, 0.0, acts, working)}
    else:
        kept, logit_bytes, transient = activation_bytes_per_sample(w)
        per_sample = kept
        acts, logits, kv_cache = kept * w.batch, logit_bytes * w.batch, 0.0
        live_grads = grads if w.accumulation else 0.0
        start = (weights + gathered, live_grads, optim, acts, cache + transient * w.batch)
        end = (weights + gathered, grads, optim, 0.0, transient * w.batch / 2)
        step = (weights, grads, optim, 0.0, temp_opt)
        parts = {"backward start": start, "backward end": end, "optimizer step": step}
        phases = {name: sum(p) for name, p in parts.items()}
    phase = max(phases, key=phases.__getitem__)
    wt, gr, op, ac, tmp = parts[phase]
    persistent = weights + optim + (grads if w.accumulation else 0.0)
    # memory freed and allocated again within a step, over the whole step: the allocator keeps its blocks
    per_step = max(phases.values()) - min(persistent, max(phases.values()))
    reserve = RESERVE_FRACTION * per_step
    if w.arch.rough:
        notes.append(f"model shape guessed from {w.arch.params:,} parameters alone: a rough estimate "
                     "(give --model or --model-config for its real dimensions)")
    if reserve:
        notes.append(f"allocator reserve {RESERVE_FRACTION:.0%} of the memory freed and allocated again each step "
                     "(PyTorch's caching allocator without expandable_segments)")
    if w.cuda_context_gib is None:
        notes.append(f"CUDA context {CUDA_CONTEXT_GIB} GiB (lazy module loading, PyTorch >= 2.0 / CUDA >= 11.7; "
                     f"up to {CUDA_CONTEXT_EAGER_GIB:.1f} GiB on older stacks), the same on every card generation")
    return Estimate(weights=wt / GIB, gradients=gr / GIB, optimizer=op / GIB, activations=ac / GIB,
                    temporary=tmp / GIB, reserve=reserve / GIB, context=context / GIB,
                    activations_per_sample=per_sample / GIB, logits=logits / GIB, kv_cache=kv_cache / GIB,
                    trainable_params=trainable, phase=phase,
                    phases=tuple((k, v / GIB) for k, v in phases.items()), notes=tuple(notes),
                    states=(weights + grads + optim) / GIB)


# --- from a setup ---------------------------------------------------------------------

# How the run is implemented, read from the setup when the field table has these fields (else the defaults
# of `Workload`, stated in the module docstring): attention, cross_entropy, foreach, double_quant,
# quantized_head and new_tokens name Workload's attributes of the same names.
_IMPLEMENTATION = ("attention", "cross_entropy", "foreach", "double_quant", "quantized_head", "new_tokens")
_SHAPE = ("vocab_size",)  # for a model known by its parameter count alone
# The setup fields an estimate reads; workload_from_setup sees only these, so a cache keyed on them is exact.
ESTIMATE_KEYS = ("model_config", "model", "model_params", "model_family", "task", "depth", "seq_len", "image_size",
                 "batch_size", "mode", "precision", "optimizer", "fine_tuning", "lora_rank", "lora_targets",
                 "gradient_checkpointing", "gpu_count", "zero_stage", "offload", "global_batch_size",
                 *(k for k in (*_IMPLEMENTATION, *_SHAPE) if k in fields.BY_NAME))


def estimate_key(setup: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The part of a setup an estimate depends on, as a hashable key (every value there is a scalar)."""
    return tuple((k, setup[k]) for k in ESTIMATE_KEYS if setup.get(k) is not None)


def architecture_for(setup: dict[str, Any]) -> Architecture | None:
    """The model the setup describes: catalog name, config.json, a size its name states, or its parameter count."""
    if setup.get("model_config"):
        from advisor.setup import modelconfig
        return modelconfig.read(setup["model_config"])
    if setup.get("model"):
        arch = architectures.lookup(setup["model"])
        if arch is not None:
            return arch
    if setup.get("model_params"):
        family = setup.get("model_family")
        if family is None and setup.get("image_size") and not setup.get("seq_len"):
            family = "cnn"
        decoder = setup.get("task") in (None, "language-modeling", "seq2seq")
        return architectures.from_params(setup["model_params"], family, setup.get("depth"), decoder=decoder,
                                         vocab=setup.get("vocab_size"))
    return None


def _regime(setup: dict[str, Any], assumed: list[str]) -> tuple[str, str, str]:
    """(mode, precision, fine_tuning): a quantised base is served, or trained only through adapters."""
    mode, precision, fine_tuning = setup.get("mode"), setup.get("precision"), setup.get("fine_tuning")
    if precision is None:
        precision = "fp32"
        assumed.append("precision fp32 (give --precision bf16 for mixed precision)")
    quantized = precision in ("int8", "4bit")
    if quantized and fine_tuning in (None, "none") and mode != "training":
        if mode is None:
            assumed.append(f"{precision} weights with no fine-tuning method: estimated as inference "
                           "(give --mode training --fine-tuning qlora for QLoRA)")
        return "inference", precision, "none"
    mode = mode or "training"
    if mode == "inference":
        return mode, precision, fine_tuning or "none"
    if quantized and fine_tuning in (None, "none", "full"):
        fine_tuning = "qlora" if precision == "4bit" else "lora"
        assumed.append(f"{precision} weights train only through adapters: estimated as "
                       f"{'QLoRA' if precision == '4bit' else 'LoRA on an int8 base'} (give --fine-tuning)")
    fine_tuning = fine_tuning or "full"
    if fine_tuning == "qlora" and precision not in (*MIXED, "bf16-pure"):
        precision = "bf16"  # QLoRA computes in 16-bit on a 4-bit base
        assumed.append("QLoRA computes in bf16 on the NF4 base")
    return mode, precision, fine_tuning


def workload_from_setup(setup: dict[str, Any]) -> Workload | None:
    """Workload for a normalised setup, with the defaults it assumes listed; None without a model."""
    setup = dict(estimate_key(setup))
    arch = architecture_for(setup)
    if arch is None:
        return None
    assumed: list[str] = []
    if setup.get("model") and not setup.get("model_config"):
        assumed += architectures.resolve(setup["model"]).notes
    mode, precision, fine_tuning = _regime(setup, assumed)
    seq_len = setup.get("seq_len")
    if setup.get("model_family") in ("mlp", "tree", "rnn") and arch.rough:
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
    gpus = setup.get("gpu_count", 1)
    accumulation = bool(setup.get("global_batch_size")) and setup["global_batch_size"] > batch * gpus
    return Workload(
        arch=arch, mode=mode, precision=precision,
        optimizer=setup.get("optimizer", "adamw"), fine_tuning=fine_tuning,
        lora_rank=setup.get("lora_rank", 8), lora_targets=setup.get("lora_targets", "qv"), batch=batch,
        seq_len=seq_len, image_size=image_size, checkpointing=bool(setup.get("gradient_checkpointing")),
        gpu_count=gpus, zero_stage=setup.get("zero_stage", 0),
        offload=setup.get("offload", "none"), task=setup.get("task"), accumulation=accumulation,
        assumptions=tuple(assumed), **{k: setup[k] for k in _IMPLEMENTATION if k in setup})


def max_micro_batch(w: Workload, limit: float, cap: int = 1 << 16) -> int:
    """Largest power-of-two micro-batch whose peak stays within `limit` GiB (0: not even one)."""
    if estimate(w.with_(batch=1)).peak > limit:
        return 0
    batch = 1
    while batch < cap and estimate(w.with_(batch=batch * 2)).peak <= limit:
        batch *= 2
    return batch
