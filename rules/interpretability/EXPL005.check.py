"""What EXPL005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, trained_lightning

LAYERS = ("linear", "conv", "lstm", "embedding")  # what the exported graph of any context model calls


def _histograms(run: Run) -> int:
    """How many weight histograms the event files under runs/model-graph hold."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = sorted((run.cwd / "runs" / "model-graph").rglob("events.out.tfevents.*"))
    assert events, "no TensorBoard event file under runs/model-graph"
    tags = set()
    for path in events:
        accumulator = EventAccumulator(str(path), size_guidance={"histograms": 0})
        accumulator.Reload()
        tags |= set(accumulator.Tags().get("histograms", []))
    return len(tags)


def _graph(run: Run) -> None:
    graph = (run.cwd / "model_graph.txt").read_text().lower()
    assert any(layer in graph for layer in LAYERS), graph[:300]
    run.ok("exported graph listed")


@applies("pytorch", "lightning", "huggingface")
def _graph_and_histograms_torch(run: Run) -> None:
    _graph(run)
    model = run.context["lit_model" if run.framework == "lightning" else "model"]
    count = len(list(model.named_parameters()))
    assert _histograms(run) == count, f"{_histograms(run)} histograms for {count} parameter tensors"
    run.ok(f"one weight histogram per parameter tensor ({count})")
    if run.framework == "lightning":
        from lightning.pytorch.callbacks import ModelSummary

        trainer = trained_lightning(run)
        assert any(isinstance(c, ModelSummary) and c._max_depth == -1 for c in trainer.callbacks)
        run.ok("full-depth ModelSummary in the Trainer's callbacks")


@applies("keras")
def _tensorboard_keras(run: Run) -> None:
    count = len(run.context["model"].weights)
    assert _histograms(run) == count, f"{_histograms(run)} histograms for {count} weights"
    run.ok(f"one weight histogram per weight ({count})")
