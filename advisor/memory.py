"""Training-memory arithmetic for one GPU: model states, activations, overhead.

Bytes per parameter follow the ZeRO paper (Rajbhandari et al. 2020, §3.1):
mixed-precision Adam keeps 2 (16-bit weights) + 2 (16-bit grads) + 12 (fp32
master weights, momentum, variance) = 16 bytes; fp32 Adam 4 + 4 + 8 = 16.
Transformer activations per layer without recomputation are
s·b·h·(34 + 5·a·s/h) bytes in 16-bit (Korthikanti et al. 2022, eq. 2), with
full recomputation 2·s·b·h; fp32 doubles them. The logits tensor b·s·V is
kept in fp32 by most loss implementations (Hugging Face, "Model training
anatomy"). Sizes are GiB (2^30 bytes), as nvidia-smi and PyTorch report them.
"""

from __future__ import annotations

import math

GIB = 2**30
CUDA_CONTEXT_GIB = 0.8  # measured 0.3-1.5 GB; HF's anatomy guide shows ~1.3 GB on a V100
USABLE_FRACTION = 0.94  # a "24 GB" card exposes ~23.6 GB = ~22 GiB to the allocator
SAFETY_MARGIN = 0.10    # batch-size finders' "max" batch later OOMs: keep 10% free

WEIGHT_BYTES = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "4bit": 0.5}
ADAM_STATE_BYTES = {"adam": 8.0, "adamw": 8.0, "sgd": 4.0, "other": 8.0}


def usable_gib(gpu_mem_gb: float) -> float:
    """Memory the allocator can use on a card sold as `gpu_mem_gb` GB, less the CUDA context."""
    return gpu_mem_gb * 1e9 * USABLE_FRACTION / GIB - CUDA_CONTEXT_GIB


def model_state_bytes_per_param(precision: str, optimizer: str, fine_tuning: str) -> float:
    """Weights + gradients + optimizer state, bytes per parameter of the whole model."""
    if fine_tuning in ("lora", "qlora"):
        # Frozen base: weights only (nf4 for QLoRA); adapters (~1% of params) train in mixed precision.
        base = 0.55 if fine_tuning == "qlora" else WEIGHT_BYTES.get(precision, 2.0) if precision != "fp32" else 4.0
        return base + 0.01 * 16
    optimizer_bytes = ADAM_STATE_BYTES.get(optimizer, 8.0)
    if precision in ("fp16", "bf16"):
        # 16-bit weights and grads, fp32 master copy + optimizer state
        return 2 + 2 + 4 + optimizer_bytes
    return 4 + 4 + optimizer_bytes


def transformer_shape(params: int, depth: int | None) -> tuple[int, int]:
    """(layers, hidden) consistent with params ≈ 12·L·h², when only the size is known.

    Uses the aspect ratio of published decoder families (h ≈ 64·L..128·L).
    """
    if depth:
        hidden = math.sqrt(params / (12 * depth))
        return depth, max(64, int(hidden))
    layers = max(2, round((params / 12 / 100**2) ** (1 / 3)))
    hidden = math.sqrt(params / (12 * layers))
    return layers, max(64, int(hidden))


def activation_gib_per_sample(*, family: str | None, params: int, depth: int | None, seq_len: int | None,
                              image_size: int | None, precision: str, checkpointing: bool) -> float:
    """Activation memory kept for backward, per sample, in GiB."""
    scale = 2.0 if precision == "fp32" else 1.0
    if seq_len and family in (None, "transformer", "rnn", "other"):
        layers, hidden = transformer_shape(params, depth)
        heads = max(1, hidden // 128)
        per_layer = 2 * seq_len * hidden if checkpointing else seq_len * hidden * (34 + 5 * heads * seq_len / hidden)
        vocab = 32_000
        logits = seq_len * vocab * 4 * 2  # fp32 logits and their gradient
        return (layers * per_layer * scale + logits) / GIB
    if image_size:
        # Rule of thumb: ResNet-50 at 224 px keeps ~0.09 GiB of fp32 activations per image;
        # scale with pixels and (sub-linearly) with width
        base = 0.09 * (image_size / 224) ** 2 * math.sqrt(params / 25.6e6)
        return base * scale / 2 * (0.3 if checkpointing else 1.0)
    return 0.0
