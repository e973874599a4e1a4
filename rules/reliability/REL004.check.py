"""What REL004's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite, trained_keras


@applies("pytorch")
def _monitor_torch(run: Run) -> None:
    assert finite([run.new("train_loss"), run.new("val_loss"), run.new("gap")])
    run.ok("train/validation losses and their gap")


@applies("keras")
def _monitor_keras(run: Run) -> None:
    assert (run.cwd / "history.csv").is_file() and finite(run.new("gap"))
    trained_keras(run)


@applies("huggingface")
def _monitor_hf(run: Run) -> None:
    history = run.new("trainer").state.log_history
    train = [h["loss"] for h in history if "loss" in h]
    evals = [h["eval_loss"] for h in history if "eval_loss" in h]
    assert len(train) >= 2 and len(evals) >= 2 and finite(train + evals), history
    run.ok(f"{len(train)} training-loss and {len(evals)} evaluation-loss entries logged")


@applies("lightning")
def _monitor_lightning(run: Run) -> None:
    import csv

    files = list((run.cwd / "logs").rglob("metrics.csv"))
    assert files, "CSVLogger wrote no metrics.csv"
    rows = list(csv.DictReader(files[0].open()))
    assert any(r.get("train_loss") for r in rows) and any(r.get("val_loss") for r in rows)
    assert any(k.startswith("lr-") for k in rows[0]), sorted(rows[0])
    run.ok(f"metrics.csv: {len(rows)} rows with train_loss, val_loss and the learning rate")


@applies("sklearn")
def _monitor_sklearn(run: Run) -> None:
    from sklearn.metrics import log_loss

    model = run.new("model")
    train = log_loss(run.context["y_train"], model.predict_proba(run.context["X_train"]), labels=model.classes_)
    val = log_loss(run.context["y_val"], model.predict_proba(run.context["X_val"]), labels=model.classes_)
    assert finite([train, val]) and abs(run.new("gap") - (val - train) / train) < 1e-9, (run.new("gap"), train, val)
    assert ("overfitting alarm" in run.output) == (run.new("gap") > 0.1), "the alarm does not follow the gap"
    run.ok(f"train {train:.3f} / validation {val:.3f} log-loss gap recomputed; alarm at 10%")
