"""A long fuzzing run over the CLI, setup files, rule files, `fill`, the log readers, the library and Monitor.

    python scripts/fuzz.py                 # ~10,000 cases, seed 0
    python scripts/fuzz.py --cases 2000 --seed 7 --only cli,fill

Prints, per target, the cases tried and the cases failing in each class (tracebacks, wrong exit
codes, hangs, bad input accepted, data lost, ...), then one reproducing example per target and
class, and the number of distinct failure messages (sites) in each. The cases and the judge are
those of tests/fuzz (tests/fuzz/harness.py); the test suite runs a bounded sample of them.
Exit 1 when any case failed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzz import harness  # noqa: E402

# share of the cases each target gets: the CLI and the library see the most values, per cost
WEIGHTS = {"cli": 30, "setup-files": 15, "rule-files": 10, "fill": 12, "logs": 10, "library": 15, "monitor": 6,
           "threads": 2}


def _plan(total: int, only: set[str] | None) -> dict[str, int]:
    chosen = {t: w for t, w in WEIGHTS.items() if not only or t in only}
    weight = sum(chosen.values())
    return {t: max(1, round(total * w / weight)) for t, w in chosen.items()}


def _signature(detail: str) -> str:
    """A failure message without its numbers and paths: one per site, not per input."""
    return re.sub(r"/\S+|\d+(\.\d+)?(e[+-]?\d+)?|'[^']*'", "_", detail)[:90]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases in all (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated targets: " + ", ".join(WEIGHTS))
    parser.add_argument("--no-real-process", action="store_true", help="skip the runs of the installed command")
    args = parser.parse_args()
    only = {t for t in args.only.split(",") if t} or None
    os.environ.setdefault("ADVISOR_CACHE_DIR", tempfile.mkdtemp(prefix="advisor-fuzz-cache-"))

    tried: Counter[str] = Counter()
    failed: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[tuple[str, str], str] = {}
    sites: dict[tuple[str, str], set[str]] = defaultdict(set)
    start = time.monotonic()

    def record(target: str, command: str, what: str, failures: list[harness.Failure]) -> None:
        tried[target] += 1
        for kind in {f.kind for f in failures}:
            failed[target][kind] += 1
        for f in failures:
            examples.setdefault((target, f.kind), f"{command}\n      input: {what}\n      {f.detail}")
            sites[(target, f.kind)].add(_signature(f.detail))

    for target, count in _plan(args.cases, only).items():
        for i in range(count):
            rng = random.Random(f"{args.seed}:{target}:{i}")
            with tempfile.TemporaryDirectory(prefix="advisor-fuzz-") as folder:
                if target in harness.PROBES:
                    probe = harness.PROBES[target](rng, Path(folder))
                    record(target, probe.command, probe.what, probe.failures)
                else:
                    case = harness.GENERATORS[target](rng, Path(folder))
                    record(target, case.command(), case.what, harness.check(case))
        print(f"  {target}: {count} cases, {time.monotonic() - start:.0f} s", file=sys.stderr)
    if not args.no_real_process and (not only or "real-process" in only):
        with tempfile.TemporaryDirectory(prefix="advisor-fuzz-") as folder:
            for case in harness.real_process_cases(Path(folder)):
                record("real-process", case.command(), case.what, harness.check(case))

    _table(tried, failed)
    print()
    for (target, kind), text in sorted(examples.items()):
        print(f"[{target}] {kind} ({len(sites[(target, kind)])} distinct messages):\n  {text}")
    print(f"\n{sum(tried.values())} cases in {time.monotonic() - start:.0f} s, seed {args.seed}")
    return 1 if examples else 0


def _table(tried: Counter[str], failed: dict[str, Counter[str]]) -> None:
    columns = [c for c in harness.CLASSES if any(failed[t][c] for t in tried)] or list(harness.CLASSES[:6])
    head = ["target", "cases", *columns]
    rows = [[t, str(tried[t]), *(str(failed[t][c]) for c in columns)] for t in tried]
    rows.append(["total", str(sum(tried.values())), *(str(sum(failed[t][c] for t in tried)) for c in columns)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")


if __name__ == "__main__":
    sys.exit(main())
