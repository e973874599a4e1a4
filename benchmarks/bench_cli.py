"""Time `advisor diagnose` against a bare interpreter start, in the same run.

    python benchmarks/bench_cli.py [--runs 21]

Targets (issue 2): median JSON run <= 8x `python -c pass`, rich terminal run <= 12x.
Runs the installed console entry point's module (`python -m advisor`) so the
numbers include interpreter start-up, imports, rule loading and rendering.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "diagnose --format json": [sys.executable, "-m", "advisor", "diagnose", "--gpu-mem", "8", "--imbalance", "1:20",
                               "--format", "json"],
    "diagnose (rich terminal)": [sys.executable, "-m", "advisor", "diagnose", "--gpu-mem", "8", "--imbalance", "1:20"],
    "diagnose nan-loss fp16 json": [sys.executable, "-m", "advisor", "diagnose", "--symptom", "nan-loss",
                                    "--precision", "fp16", "--format", "json"],
    "--help": [sys.executable, "-m", "advisor", "--help"],
}


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env={"COLUMNS": "100", "PATH": "", "TERM": "xterm-256color"})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    for cmd in CASES.values():  # warm the page cache and .pyc files
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {name: median_seconds(cmd, args.runs) for name, cmd in CASES.items()}
    base = results["python -c pass"]
    for name, seconds in results.items():
        print(f"{name:30s} {seconds * 1000:7.1f} ms  {seconds / base:5.1f}x")


if __name__ == "__main__":
    main()
