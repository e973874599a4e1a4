"""What PRIV005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch")
def _audit(run: Run) -> None:
    logs = run.cwd / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "train.log").write_text("epoch 1 done\nmailed ana@example.com\n")
    findings = run.new("scan_for_pii")("logs")
    assert any(kind == "e-mail" for _, kind, _ in findings), findings
    run.ok("the scan finds a planted e-mail address")
