"""What every fuzz test does: run the cases of one harness generator and require that none fails."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any, Callable

from hypothesis import HealthCheck, settings, strategies as st

from . import harness

# bounded and seeded: the same examples on every run, no time limit per example (the harness has its own)
FUZZ = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEEDS = st.randoms(use_true_random=False)


def assert_passes(case: harness.Case) -> None:
    failures = harness.check(case)
    assert not failures, harness.describe(case, failures)


def run_generated(generate: Callable[..., harness.Case], rng: random.Random, **choices: Any) -> None:
    """One generated case in a fresh folder (a folder per example: hypothesis reruns the function)."""
    with tempfile.TemporaryDirectory(prefix="advisor-fuzz-") as folder:
        assert_passes(generate(rng, Path(folder), **choices))


def assert_probe(probe: Callable[[random.Random, Path], harness.Probe], rng: random.Random) -> None:
    with tempfile.TemporaryDirectory(prefix="advisor-fuzz-") as folder:
        found = probe(rng, Path(folder))
    assert not found.failures, f"{found.command}\n  " + "\n  ".join(f"{f.kind}: {f.detail}" for f in found.failures)
