"""What EXPL004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("sklearn", "pytorch")
def _local(run: Run) -> None:
    assert "explaining" in run.output or "case" in run.output or "no mistakes" in run.output, run.output[-300:]
    run.ok("explanations printed for the most confident mistakes")
