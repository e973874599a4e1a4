"""What PERF003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, trained_keras


@applies("pytorch", "lightning")
def _cache_torch(run: Run) -> None:
    assert (run.cwd / run.new("cache")).is_file() and len(run.new("features")) == len(run.context["train_dataset"])
    run.ok("preprocessed tensors cached on disk")


@applies("keras")
def _cache_keras(run: Run) -> None:
    assert (run.cwd / run.new("cache")).is_file() and isinstance(run.new("x_cached"), np.memmap)
    trained_keras(run)


@applies("huggingface")
def _cache_hf(run: Run) -> None:
    assert (run.cwd / "train_preprocessed").is_dir()
    assert run.new("train_dataset")["label"] == run.context["train_dataset"]["label"]
    run.ok("dataset saved and reloaded memory-mapped")
