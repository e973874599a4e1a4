"""The snippet suite's own count, printed at the end of the test session (tests/conftest.py)."""

from __future__ import annotations

from collections import Counter, defaultdict

MODES = ("executed", "cpu-variant", "compile-only")
# framework -> mode -> snippets; filled when test_snippets.py is collected
SNIPPETS: dict[str, Counter] = defaultdict(Counter)
# framework -> outcome -> runs; filled as the runs finish
RUNS: dict[str, Counter] = defaultdict(Counter)


def lines() -> list[str]:
    if not RUNS:  # no snippet ran (deselected by -m "not heavy", or only the compile checks): nothing to count
        return []
    out = [f"{'framework':<12} {'snippets':>8} {'executed':>9} {'cpu-variant':>12} {'compile-only':>13}"
           f" {'runs passed':>12}"]
    total: Counter = Counter()
    for framework in sorted(SNIPPETS):
        counts = SNIPPETS[framework]
        total.update(counts)
        runs = RUNS.get(framework, Counter())
        out.append(f"{framework:<12} {sum(counts.values()):>8} " + " ".join(
            f"{counts[m]:>{w}}" for m, w in zip(MODES, (9, 12, 13))) + f" {runs['passed']:>5}/{sum(runs.values()):<6}")
    n = sum(total.values())
    out.append(f"{'all':<12} {n:>8} " + " ".join(f"{total[m]:>{w}}" for m, w in zip(MODES, (9, 12, 13)))
               + f"   executed as shown: {total['executed'] / max(n, 1):.1%}")
    from .cases import UNINSTALLABLE, UNRESOLVED

    for package, ids in sorted(UNRESOLVED.items()):
        out.append(f"imports not resolvable here: {package} ({len(ids)} compile-only snippets: "
                   f"{', '.join(sorted(ids))}): {UNINSTALLABLE[package]}")
    return out
