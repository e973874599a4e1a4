"""What PRIV005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from pathlib import Path

from tests.snippets.checks import Run, applies, fitted, hf_trained, trained_keras, trained_lightning, trainer_of


@applies("pytorch")
def _audit(run: Run) -> None:
    logs = run.cwd / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "train.log").write_text("epoch 1 done\nmailed ana@example.com\n")
    findings = run.new("scan_for_pii")("logs")
    assert any(kind == "e-mail" for _, kind, _ in findings), findings
    run.ok("the scan finds a planted e-mail address")


def _audited(run: Run, folder: Path, rescan) -> None:
    """The audit callback found nothing in the clean run folder; planted in that folder, an e-mail is what the
    callback itself (rescan: its hook called again) then reports."""
    audit = run.new("audit")
    assert audit.findings == [], f"the audit reports personal data in a clean run: {audit.findings}"
    assert folder.is_dir() and any(p.is_file() for p in folder.rglob("*")), f"the run wrote nothing under {folder}"
    (folder / "samples.txt").write_text("generated: contact ana@example.com\n")
    rescan(audit)
    assert any(kind == "e-mail" for _, kind, _ in audit.findings), f"the audit missed a planted e-mail: {audit.findings}"
    run.ok(f"the audit callback scans {folder.name}/ and reports a planted e-mail address")


@applies("lightning")
def _audit_lightning(run: Run) -> None:
    trainer = trained_lightning(run)
    assert run.new("audit") in trainer.callbacks
    _audited(run, Path(trainer.log_dir), lambda audit: audit.on_fit_end(trainer, run.context["lit_model"]))


@applies("huggingface")
def _audit_hf(run: Run) -> None:
    hf_trained(run)
    trainer = trainer_of(run)
    assert run.new("audit") in trainer.callback_handler.callbacks
    _audited(run, Path(trainer.args.output_dir).resolve(),
             lambda audit: audit.on_train_end(trainer.args, trainer.state, trainer.control))


@applies("keras")
def _audit_keras(run: Run) -> None:
    trained_keras(run)
    assert (run.cwd / "logs" / "train.csv").is_file()
    _audited(run, run.cwd / "logs", lambda audit: audit.on_train_end())


@applies("sklearn")
def _audit_sklearn(run: Run) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    assert fitted(run.new("model")) and run.new("leaks") == [], run.new("leaks")
    again = run.rerun({**run.context, "model": KNeighborsClassifier(n_neighbors=3)})
    assert again["leaks"], "a k-NN model stores its whole training set, and the audit missed it"
    run.ok(f"{type(run.new('model')).__name__} stores no training rows; a k-NN model is flagged ({again['leaks']})")
