"""What PRIV002's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import zipfile

from tests.snippets.checks import Run, applies, fitted, hf_trained, torch_changed, trained_keras, trained_lightning


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


def _tamper_rejected(fernet, token: bytes) -> None:
    from cryptography.fernet import InvalidToken

    try:
        fernet.decrypt(token[:-5] + bytes(5))
    except InvalidToken:
        return
    raise AssertionError("a tampered file was accepted")


@applies("lightning")
def _encrypt_lightning(run: Run) -> None:
    import io

    import torch

    trainer = trained_lightning(run)
    path = run.new("checkpoint").last_model_path
    assert path and (run.cwd / "checkpoints").is_dir(), "ModelCheckpoint wrote no checkpoint"
    written = list((run.cwd / "checkpoints").glob("*.ckpt"))
    assert len(written) >= 2, f"expected the epoch checkpoint and last.ckpt, found {written}"
    plain = [ckpt.name for ckpt in written if zipfile.is_zipfile(ckpt)]
    assert not plain, f"plain torch checkpoints on disk: {plain}"
    token = (run.cwd / "checkpoints" / "last.ckpt").read_bytes()
    state = torch.load(io.BytesIO(run.new("fernet").decrypt(token)), weights_only=False)
    assert state["global_step"] == trainer.global_step
    _tamper_rejected(run.new("fernet"), token)
    now = run.context["lit_model"].state_dict()
    assert all(torch.equal(now[k], v) for k, v in state["state_dict"].items()), "restored weights differ"
    run.ok("every Lightning checkpoint is Fernet ciphertext; it decrypts to the trained state; tampering detected")


@applies("huggingface")
def _encrypt_hf(run: Run) -> None:
    import torch
    from safetensors.torch import load

    hf_trained(run)
    assert torch_changed(run), "the model was not trained"
    plain = [p.name for p in run.cwd.rglob("*") if p.suffix == ".safetensors" or p.name.startswith("checkpoint-")]
    assert not plain, f"plaintext weights on disk: {plain}"
    token = (run.cwd / "model-encrypted" / "model.safetensors.enc").read_bytes()
    weights = load(run.new("fernet").decrypt(token))
    params = dict(run.context["model"].named_parameters())
    assert params.keys() <= weights.keys() and all(torch.equal(weights[n], p.detach()) for n, p in params.items())
    _tamper_rejected(run.new("fernet"), token)
    run.ok("weights stored as encrypted safetensors only; they decrypt to the trained weights; tampering detected")


@applies("keras")
def _encrypt_keras(run: Run) -> None:
    import numpy as np

    model = trained_keras(run)
    sealed = run.cwd / "model.keras.enc"
    assert not zipfile.is_zipfile(sealed), "the .keras file is stored in plain text"
    assert not list(run.cwd.rglob("*.keras")), "a plaintext .keras file was left on disk"
    restored = run.new("restored")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), restored.get_weights()))
    _tamper_rejected(run.new("fernet"), sealed.read_bytes())
    run.ok(".keras file encrypted; it decrypts to the trained model; tampering detected")
