"""What PRIV004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, fitted, hf_trained, torch_changed, trained_keras, trained_lightning


@applies("pytorch")
def _backup(run: Run) -> None:
    import hashlib
    import json

    backup = run.new("backup_dir")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["checkpoint.pt"] == hashlib.sha256((backup / "checkpoint.pt").read_bytes()).hexdigest()
    assert not torch_changed(run)
    run.ok("backup verified by checksum and restored")


def _manifest_matches(folder, manifest: dict) -> None:
    import hashlib

    assert manifest, "the manifest lists no file"
    for name, digest in manifest.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{name}: checksum differs"


@applies("lightning")
def _backup_lightning(run: Run) -> None:
    import json

    import torch

    trained_lightning(run)
    backup = run.new("backup_dir")
    manifest = json.loads((backup / "manifest.json").read_text())
    _manifest_matches(backup, {"last.ckpt": manifest["last.ckpt"]})
    saved = torch.load(backup / "last.ckpt", weights_only=True)
    assert saved["global_step"] == run.new("trainer").global_step and saved["optimizer_states"], "not a resumable checkpoint"
    now = run.context["lit_model"].state_dict()
    assert all(torch.equal(now[k], v) for k, v in saved["state_dict"].items())
    run.ok("Lightning checkpoint backed up with its checksum; resumable; restores the trained weights")


@applies("huggingface")
def _backup_hf(run: Run) -> None:
    import json

    import torch

    hf_trained(run)
    backup = run.new("backup_dir")
    manifest = json.loads((backup.parent / f"{backup.name}.manifest.json").read_text())["files"]
    assert {"trainer_state.json", "optimizer.pt"} <= set(manifest), f"not a resumable checkpoint: {sorted(manifest)}"
    _manifest_matches(backup, manifest)
    assert json.loads((backup / "trainer_state.json").read_text())["global_step"] == run.new("trainer").state.global_step
    restored = dict(run.new("restored").named_parameters())
    assert all(torch.equal(restored[n], p.detach()) for n, p in run.context["model"].named_parameters())
    run.ok("the last Trainer checkpoint backed up, every file checksummed; it restores the trained weights")


@applies("keras")
def _backup_keras(run: Run) -> None:
    import json

    import numpy as np

    model = trained_keras(run)
    backup = run.new("backup_dir")
    manifest = json.loads((backup / "manifest.json").read_text())
    _manifest_matches(backup, {"model.keras": manifest["model.keras"]})
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), run.new("restored").get_weights()))
    run.ok(".keras backup checksummed; it restores the trained weights")


@applies("sklearn")
def _backup_sklearn(run: Run) -> None:
    import json

    import numpy as np

    assert fitted(run.new("model")) and fitted(run.new("restored"))
    backup = run.new("backup_dir")
    manifest = json.loads((backup / "manifest.json").read_text())
    _manifest_matches(backup, {"model.joblib": manifest["model.joblib"]})
    assert manifest["scikit-learn"]
    X_val = run.context["X_val"]
    assert np.array_equal(run.new("restored").predict_proba(X_val), run.new("model").predict_proba(X_val))
    run.ok("joblib backup checksummed with the scikit-learn version; restored model predicts identically")
