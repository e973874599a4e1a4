"""This estimator beside the two estimates people use instead, on published peak-memory measurements.

    python benchmarks/bench_memory.py [--table]

The references are tests/data/memory_references.json (each with its URL, configuration and which reading
it is: max_memory_allocated, max_memory_reserved or nvidia-smi). The estimator is compared with the figure
of the same kind; the two baselines give one number, compared with the figure as measured:

* accelerate's `accelerate estimate-memory` (src/accelerate/commands/estimate.py, re-implemented):
  loading = parameters × dtype bytes (fp32 4, 16-bit 2, int8 1, int4 0.5); "Training using Adam" =
  max(model, gradients, optimizer, step) of `estimate_training_usage`: 16 bytes/param in fp32,
  8 bytes/param in fp16/bf16 (its optimizer term, 2 × the fp32 size); LoRA is not modelled there, so a
  LoRA run reads as loading the base at its dtype.
* the 16-bytes-per-parameter rule (ZeRO paper §3.1, mixed-precision Adam model states): 16 × parameters for
  full training; 16 × adapter parameters + the frozen base at its dtype for LoRA/QLoRA; the weights alone
  for inference.

Neither baseline has an activation term. Prints each reference's error, then the median and worst absolute
error of each method.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.estimate import memory  # noqa: E402
from tests import memory_references  # noqa: E402

GIB = 2**30


def _dtype_bytes(w: memory.Workload) -> float:
    if w.precision == "fp32":
        return 4.0
    if w.precision == "int8":
        return 1.0
    if w.precision == "4bit" or w.fine_tuning == "qlora":
        return 0.5
    return 2.0


def accelerate_estimate(w: memory.Workload) -> float:
    """`accelerate estimate-memory`'s figure for this run, GiB."""
    p = w.arch.params
    if w.mode == "inference" or w.peft:
        return p * _dtype_bytes(w) / GIB
    return p * (16.0 if w.precision == "fp32" else 8.0) / GIB


def sixteen_bytes_rule(w: memory.Workload) -> float:
    """16 bytes per trained parameter plus the frozen weights, GiB."""
    p = w.arch.params
    if w.mode == "inference":
        return p * _dtype_bytes(w) / GIB
    if w.peft:
        adapters = memory.adapter_params(w.arch, w.lora_rank, w.lora_targets)
        return (16.0 * adapters + p * _dtype_bytes(w)) / GIB
    return 16.0 * p / GIB


METHODS = {
    "advisor (same kind)": lambda ref: memory_references.same_kind(memory.estimate(ref.workload), ref.kind),
    "accelerate estimate-memory": lambda ref: accelerate_estimate(ref.workload),
    "16 bytes/param": lambda ref: sixteen_bytes_rule(ref.workload),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="print every reference's error")
    args = parser.parse_args()
    refs = memory_references.load()
    errors: dict[str, list[float]] = {name: [] for name in METHODS}
    if args.table:
        print(f"{'reference':56} {'kind':10} {'measured':>8}  " + "  ".join(f"{n[:18]:>18}" for n in METHODS))
    for ref in refs:
        row = []
        for name, method in METHODS.items():
            error = method(ref) / ref.measured_gib - 1
            errors[name].append(abs(error))
            row.append(f"{error:+18.1%}")
        if args.table:
            print(f"{ref.id:56} {ref.kind:10} {ref.measured_gib:8.2f}  " + "  ".join(row))
    print(f"\n{len(refs)} published measurements from {len({r.url for r in refs})} sources")
    print(f"{'method':28} {'median error':>12} {'worst error':>12}")
    for name, values in errors.items():
        print(f"{name:28} {statistics.median(values):12.1%} {max(values):12.1%}")


if __name__ == "__main__":
    main()
