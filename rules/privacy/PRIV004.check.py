"""What PRIV004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, torch_changed


@applies("pytorch")
def _backup(run: Run) -> None:
    import hashlib
    import json

    backup = run.new("backup_dir")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["checkpoint.pt"] == hashlib.sha256((backup / "checkpoint.pt").read_bytes()).hexdigest()
    assert not torch_changed(run)
    run.ok("backup verified by checksum and restored")
