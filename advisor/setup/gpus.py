"""Built-in catalog of accelerator cards: memory as sold, and whether bf16 is native.

bf16 needs compute capability 8.0 or newer (Ampere, Ada, Hopper, Blackwell);
Volta and Turing cards (V100, T4, RTX 20xx) emulate it slowly or not at all.
Sources: NVIDIA data sheets; torch.cuda.is_bf16_supported(). A card outside the catalog is not an
error (`canonical`): its memory is the one given, or the one its name states (`card`).
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Gpu(NamedTuple):
    memory_gib: float  # as sold: an "80 GB" card has 80 GiB (81920 MiB)
    bf16: bool | None  # None: unknown (a card outside the catalog)
    architecture: str


CATALOG: dict[str, Gpu] = {
    "k80": Gpu(12, False, "kepler"),
    "p100": Gpu(16, False, "pascal"),
    "gtx1080ti": Gpu(11, False, "pascal"),
    "v100-16gb": Gpu(16, False, "volta"),
    "v100": Gpu(32, False, "volta"),
    "t4": Gpu(16, False, "turing"),
    "rtx2080ti": Gpu(11, False, "turing"),
    "titan-rtx": Gpu(24, False, "turing"),
    "rtx3060": Gpu(12, True, "ampere"),
    "rtx3070": Gpu(8, True, "ampere"),
    "rtx3080": Gpu(10, True, "ampere"),
    "rtx3090": Gpu(24, True, "ampere"),
    "a10": Gpu(24, True, "ampere"),
    "a10g": Gpu(24, True, "ampere"),
    "a30": Gpu(24, True, "ampere"),
    "a40": Gpu(48, True, "ampere"),
    "a6000": Gpu(48, True, "ampere"),
    "a100-40gb": Gpu(40, True, "ampere"),
    "a100-80gb": Gpu(80, True, "ampere"),
    "rtx4060": Gpu(8, True, "ada"),
    "rtx4070": Gpu(12, True, "ada"),
    "rtx4080": Gpu(16, True, "ada"),
    "rtx4090": Gpu(24, True, "ada"),
    "l4": Gpu(24, True, "ada"),
    "l40s": Gpu(48, True, "ada"),
    "rtx6000-ada": Gpu(48, True, "ada"),
    "h100": Gpu(80, True, "hopper"),
    "h100-nvl": Gpu(94, True, "hopper"),
    "h200": Gpu(141, True, "hopper"),
    "gh200": Gpu(96, True, "hopper"),
    "b200": Gpu(180, True, "blackwell"),
    "rtx5090": Gpu(32, True, "blackwell"),
    "mi250": Gpu(64, True, "cdna2"),
    "mi300x": Gpu(192, True, "cdna3"),
}

# Names people write for the same card.
ALIASES: dict[str, str] = {
    "a100": "a100-40gb", "a100-40": "a100-40gb", "a100-80": "a100-80gb", "a100-40g": "a100-40gb",
    "a100-80g": "a100-80gb", "v100-32gb": "v100", "v100-32": "v100", "v100-16": "v100-16gb",
    "tesla-t4": "t4", "tesla-v100": "v100", "3090": "rtx3090", "4090": "rtx4090", "3080": "rtx3080",
    "3070": "rtx3070", "3060": "rtx3060", "4080": "rtx4080", "4070": "rtx4070", "4060": "rtx4060",
    "5090": "rtx5090", "2080ti": "rtx2080ti", "1080ti": "gtx1080ti", "rtx-3090": "rtx3090",
    "rtx-4090": "rtx4090", "rtx-3080": "rtx3080", "rtx-3060": "rtx3060", "rtx-4080": "rtx4080",
    "rtx-a6000": "a6000", "h100-80gb": "h100", "h100-sxm": "h100", "h100-pcie": "h100",
    "l40": "l40s", "rtx-5090": "rtx5090",
}


# --- names outside the catalog ------------------------------------------------------

_MEMORY_IN_NAME = re.compile(r"^(\d+(?:\.\d+)?)(?:gb|gib|g)$")
_FORM_FACTOR = re.compile(r"^(sxm\d?|pcie|hbm\d?e?|nvlink)$")  # the same card's packaging, not another card
_MAX_NAME = 100


def canonical(raw: object) -> str:
    """The catalog name of a card (aliases, `NVIDIA`/`Tesla`/`GeForce` prefixes and spacing forgiven), or the
    cleaned name itself for a card outside the catalog: never an error for a plausible name, since a card's
    memory can be given beside it (`--gpu-mem`). ValueError only for what cannot be a name."""
    text = str(raw).strip().lower().replace("_", "-").replace(" ", "-")
    if not text or len(text) > _MAX_NAME or not text.isprintable():
        raise ValueError(f"a GPU name is 1-{_MAX_NAME} printable characters, like a100-80gb or rtx4090")
    for prefix in ("nvidia-", "tesla-", "geforce-", "amd-", "instinct-"):
        text = text.removeprefix(prefix)
    text = "-".join(word for word in text.split("-") if word and not _FORM_FACTOR.match(word)) or text
    squeezed = text.replace("-", "")
    for name in (text, squeezed):
        if name in CATALOG:
            return name
        if name in ALIASES:
            return ALIASES[name]
    for name in CATALOG:
        if name.replace("-", "") == squeezed:
            return name
    return text


def card(name: str) -> Gpu | None:
    """The catalog card, or for a name outside it a card whose memory its name states ("rtx-a5000-24gb"), with
    bf16 and architecture unknown (None when the name states no memory either)."""
    if name in CATALOG:
        return CATALOG[name]
    sizes = [m for m in map(_MEMORY_IN_NAME.match, name.split("-")) if m]
    return Gpu(float(sizes[-1].group(1)), None, "unknown") if sizes else None


def note(name: str) -> str | None:
    """The assumption a card outside the catalog implies, for the report."""
    if name in CATALOG:
        return None
    found = card(name)
    if found is None:
        return (f"GPU {name!r} is not in the catalog: its memory comes from --gpu-mem; bf16 support unknown")
    return f"GPU {name!r} is not in the catalog: {found.memory_gib:g} GiB read from its name; bf16 support unknown"
