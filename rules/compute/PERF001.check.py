"""What PERF001's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import math

from tests.snippets.checks import Run, applies, args_of, trained_keras


@applies("pytorch")
def _loading_torch(run: Run) -> None:
    loader = run.new("loader")
    assert loader.num_workers >= 1 and loader.prefetch_factor == 4
    run.ok(f"{loader.num_workers} worker process(es), prefetching")


@applies("keras")
def _loading_keras(run: Run) -> None:
    batches = run.new("train_batches")
    assert batches.workers == 4 and len(batches) == math.ceil(len(run.context["x_train"]) / 64)
    trained_keras(run)


@applies("huggingface")
def _loading_hf(run: Run) -> None:
    args = args_of(run)
    assert args.dataloader_num_workers >= 1 and args.dataloader_prefetch_factor == 4
    run.ok("dataloader workers and prefetching configured")
