"""What PERF002's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, trained_keras


@applies("pytorch")
def _preprocess_torch(run: Run) -> None:
    processed = run.new("processed")
    assert len(processed) == len(run.context["train_dataset"])
    x, _ = processed[0]
    assert abs(float(np.mean(x))) < 1e-4 and abs(float(np.std(x)) - 1) < 1e-3
    run.ok("every sample normalised in a worker pool")


@applies("keras")
def _preprocess_keras(run: Run) -> None:
    x, y = run.new("dataset")[0]
    assert np.allclose(x.reshape(len(x), -1).mean(axis=1), 0, atol=1e-4)
    trained_keras(run)


@applies("huggingface")
def _preprocess_hf(run: Run) -> None:
    assert len(run.new("train_dataset")) == len(run.context["train_dataset"])
    run.ok("dataset mapped in worker processes")


@applies("lightning")
def _preprocess_lightning(run: Run) -> None:
    from tests.snippets.checks import trained_lightning

    loader = run.new("loader")
    x, y = loader.collate_fn([run.context["train_dataset"][i] for i in range(4)])
    assert x.shape[0] == len(y) == 4
    assert (x.mean(dim=tuple(range(1, x.ndim))).abs() < 1e-4).all(), "samples are not normalised"
    trained_lightning(run)
    run.ok(f"normalised in {loader.num_workers} loader worker(s); the Trainer fitted on it")
