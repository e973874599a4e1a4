"""Time `advisor.logs.analyze` on a generated 1,000,000-row CSV log and measure its peak memory.

    python benchmarks/bench_logs.py [rows]

The log is a plain CSV (step, epoch, loss, val_loss every 1000 steps,
grad_norm, learning_rate, gpu_util) of a healthy-looking run with mini-batch
noise. Peak memory is reported twice: the process's peak RSS (resource), and
the peak of Python allocations during the analysis alone (tracemalloc, on a
second run, since tracing slows Python down).
"""

from __future__ import annotations

import math
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def write_log(path: Path, rows: int) -> None:
    rng = random.Random(0)
    with open(path, "w") as fh:
        fh.write("step,epoch,loss,val_loss,grad_norm,learning_rate,gpu_util\n")
        for step in range(1, rows + 1):
            level = 0.2 + 2.0 / (1 + step / 20000)
            loss = level * (1 + 0.3 * rng.uniform(-1, 1))
            val = f"{level * 1.05:.5g}" if step % 1000 == 0 else ""
            lr = 3e-4 * 0.5 * (1 + math.cos(math.pi * step / rows))
            fh.write(f"{step},{step / 5000:.4f},{loss:.5g},{val},{rng.uniform(0.5, 1.5):.4g},{lr:.4g},"
                     f"{rng.uniform(85, 99):.1f}\n")


def main(rows: int) -> None:
    from advisor.logs import analyze

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        start = time.perf_counter()
        write_log(path, rows)
        print(f"wrote {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        cpu = time.process_time()
        analysis = analyze(path)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"analyze: {wall:.2f} s wall, {cpu:.2f} s CPU, {rows / wall:,.0f} rows/s; "
              f"findings: {[f.symptom for f in analysis.findings] or 'none'}")
        print(f"peak RSS: {rss_before:.1f} MiB before, {rss_after:.1f} MiB after analysis")
        tracemalloc.start()
        analyze(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"tracemalloc peak during analysis: {peak / 2**20:.2f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
