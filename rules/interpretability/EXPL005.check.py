"""What EXPL005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch", "keras")
def _tensorboard(run: Run) -> None:
    events = list((run.cwd / "runs" / "model-graph").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 100
    if run.framework == "pytorch":
        graph = (run.cwd / "model_graph.txt").read_text()
        assert "linear" in graph or "conv" in graph or "lstm" in graph, graph[:300]
    run.ok("TensorBoard event file written" + (", exported graph listed" if run.framework == "pytorch" else ""))
