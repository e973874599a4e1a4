"""Time `advisor` commands against a bare interpreter start, in the same run.

    python benchmarks/bench_cli.py [--runs 21]

Targets (issue 10), as the median over runs of each command's time divided by that of
`python -c pass`: `diagnose --format json` <= 6x, the rich terminal report <= 10x,
`--help` <= 6x. Runs the console entry point's module (`python -m advisor`), so the numbers
include interpreter start-up, imports, rule loading (through the rulebook cache, which the
warm-up run fills) and rendering.

The cases take turns, run by run, so that a machine busy with something else slows all of
them alike; CPU time (user + system of the child) is printed beside wall time, as the steadier
figure on a shared machine.
"""

from __future__ import annotations

import argparse
import resource
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
ENV = {"COLUMNS": "100", "PATH": "", "TERM": "xterm-256color"}


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # microseconds, where os.times counts clock ticks
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    for cmd in CASES.values():  # warm the page cache, the .pyc files and the rulebook cache
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, cmd in CASES.items():
            samples[name].append(timed(cmd))
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in samples.items()}
    base = "python -c pass"
    print(f"{'':30s} {'wall':>9s} {'ratio':>6s} {'cpu':>9s} {'ratio':>6s}")
    for name in CASES:
        print(f"{name:30s} {wall[name] * 1000:6.1f} ms {wall[name] / wall[base]:5.1f}x "
              f"{cpu[name] * 1000:6.1f} ms {cpu[name] / max(cpu[base], 1e-3):5.1f}x")
    if any(name.startswith("__editable__") for name in sys.modules):  # setuptools' finder, loaded by a .pth file
        # the bare start pays for the editable finder too (~25 ms on the development machine), which makes every
        # ratio smaller than in a regular install (`pip install .`); README.md, "Speed", gives both
        print("note: an editable install: the bare start includes its import finder; a regular install's ratios are "
              "higher")


if __name__ == "__main__":
    main()
