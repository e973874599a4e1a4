"""What PRIV002's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, fitted, torch_changed


@applies("pytorch")
def _encrypt_torch(run: Run) -> None:
    sealed = (run.cwd / "checkpoint.pt.enc").read_bytes()
    assert b"PK" not in sealed[:4], "the checkpoint is stored in plain text"
    assert not torch_changed(run), "the decrypted weights differ from the saved ones"
    run.ok("checkpoint encrypted at rest and restored identically")


@applies("sklearn")
def _encrypt_sklearn(run: Run) -> None:
    from cryptography.fernet import InvalidToken

    token = (run.cwd / "model.pkl.enc").read_bytes()
    fernet = run.new("fernet")
    tampered = token[:-5] + bytes(5)
    try:
        fernet.decrypt(tampered)
    except InvalidToken:
        pass
    else:
        raise AssertionError("a tampered file was accepted")
    assert fitted(run.new("model"))
    run.ok("model encrypted; tampering detected")
