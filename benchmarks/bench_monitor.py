"""What `Monitor.update` costs a training step, as a ratio against a bare Python call in the same run.

    python benchmarks/bench_monitor.py [steps]        # 200,000 by default

A healthy-looking run (loss falling with mini-batch noise, grad_norm and learning rate every step,
per-layer norms every 10th): the monitor's CPU time per update against a plain function call that
builds the same keyword arguments, and in absolute microseconds (what a training step pays).
CPU time (process_time), best of 3, so other processes on the machine weigh less.
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor import Monitor  # noqa: E402


def metrics(steps: int) -> list[dict[str, object]]:
    rng = random.Random(0)
    rows = []
    for step in range(steps):
        row = {"loss": 2.3 / (1 + step / 2000) * (1 + 0.05 * rng.gauss(0, 1)), "grad_norm": 1.0 + 0.1 * rng.random(),
               "learning_rate": 1e-3 * (0.5 + 0.5 * math.cos(math.pi * step / steps))}
        if step % 10 == 0:
            row["layer_grad_norm"] = {"embed.weight": 0.2 * (1 + 0.1 * rng.random()), "head.weight": 1.0}
        rows.append(row)
    return rows


def bare(step: int, **values: object) -> None:
    return None


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rows = metrics(steps)

    def baseline() -> None:
        for step, row in enumerate(rows):
            bare(step, **row)

    def monitored() -> None:
        monitor = Monitor(advise=False)
        for step, row in enumerate(rows):
            monitor.update(step, **row)
        assert not monitor.findings, monitor.findings  # a healthy run: the cost measured is the quiet path

    base, cost = best(baseline), best(monitored)
    print(f"{steps:,} updates: monitor {cost / steps * 1e6:.1f} µs each, a bare call {base / steps * 1e6:.2f} µs "
          f"({cost / base:.0f}x)")


if __name__ == "__main__":
    main()
