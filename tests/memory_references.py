"""Published peak-memory measurements (tests/data/memory_references.json) as workloads and measured GiB.

Shared by tests/test_memory_references.py and benchmarks/bench_memory.py, so both compare the same figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.estimate import memory
from advisor.setup import architectures

PATH = Path(__file__).parent / "data" / "memory_references.json"
_UNIT = {"GB": 1e9 / 2**30, "MiB": 1 / 1024, "GiB": 1.0}


@dataclass(frozen=True)
class Reference:
    id: str
    url: str
    kind: str               # allocated | reserved | nvidia-smi
    measured_gib: float
    workload: memory.Workload
    config: dict[str, Any]


def load() -> list[Reference]:
    data = json.loads(PATH.read_text())
    out = []
    for ref in data["references"]:
        config = dict(ref["config"])
        arch = architectures.lookup(config.pop("model"))
        batch = config.pop("batch")
        out.append(Reference(ref["id"], ref["url"], ref["kind"], ref["measured"] * _UNIT[ref["unit"]],
                             memory.Workload(arch=arch, batch=batch, **config), ref["config"]))
    return out


def same_kind(estimate: memory.Estimate, kind: str) -> float:
    """The estimate's figure that matches what the reference measured."""
    return {"allocated": estimate.peak_allocated, "reserved": estimate.peak_reserved,
            "nvidia-smi": estimate.peak}[kind]
