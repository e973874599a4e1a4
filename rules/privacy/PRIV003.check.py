"""What PRIV003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch")
def _access(run: Run) -> None:
    import stat

    mode = (run.cwd / "data" / "pii").stat().st_mode
    assert stat.S_IMODE(mode) == 0o700 and not run.new("too_open")
    run.ok("personal data readable by its owner only")
