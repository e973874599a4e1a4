"""What PRIV003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, fitted, hf_trained, trained_keras, trained_lightning


@applies("pytorch")
def _access(run: Run) -> None:
    import stat

    mode = (run.cwd / "data" / "pii").stat().st_mode
    assert stat.S_IMODE(mode) == 0o700 and not run.new("too_open")
    run.ok("personal data readable by its owner only")


def _owner_only(run: Run, folder: str, pattern: str) -> None:
    import stat

    root = run.cwd / folder
    written = [p for p in root.rglob(pattern) if p.is_file()]
    assert written, f"nothing matching {pattern} was written under {folder}/"
    loose = [str(p) for p in [root, *root.rglob("*")] if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert not loose, f"readable beyond their owner: {loose}"
    assert stat.S_IMODE((run.cwd / "data" / "pii").stat().st_mode) == 0o700 and not run.new("too_open_paths")
    run.ok(f"{len(written)} file(s) under {folder}/ and the data folder readable by their owner only")


@applies("lightning")
def _access_lightning(run: Run) -> None:
    trained_lightning(run)
    _owner_only(run, "checkpoints", "*.ckpt")


@applies("huggingface")
def _access_hf(run: Run) -> None:
    hf_trained(run)
    _owner_only(run, "out", "*.safetensors")
    assert (run.cwd / "out" / "final" / "model.safetensors").is_file() and list((run.cwd / "out").glob("checkpoint-*"))


@applies("keras")
def _access_keras(run: Run) -> None:
    trained_keras(run)
    _owner_only(run, "models", "*.keras")


@applies("sklearn")
def _access_sklearn(run: Run) -> None:
    assert fitted(run.new("model"))
    _owner_only(run, "models", "model.joblib")
