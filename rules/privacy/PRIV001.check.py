"""What PRIV001's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies


@applies("pytorch")
def _anon_torch(run: Run) -> None:
    clean = run.new("clean")
    assert all(not {"name", "email"} & set(r) for r in clean)
    assert all(r["user_id"] != raw["user_id"] and len(r["user_id"]) == 32 for r, raw in zip(clean, run.new("raw")))
    assert run.new("pseudonymise")(1001) == clean[0]["user_id"], "pseudonyms must be stable"
    run.ok("identifiers dropped, join keys pseudonymised stably")


@applies("sklearn")
def _anon_sklearn(run: Run) -> None:
    df = run.new("df")
    assert "name" not in df and "email" not in df and df["zip"].str.endswith("**").all()
    run.ok("identifiers dropped, quasi-identifiers coarsened")


@applies("lightning")
def _anon_lightning(run: Run) -> None:
    import json

    written = (run.cwd / "data" / "anonymised.jsonl").read_text()
    assert "@" not in written and "Ana" not in written, "identifiers reached the file the training processes read"
    records = [json.loads(line) for line in written.splitlines()]
    assert records == run.new("data").records, "setup did not load the anonymised file"
    assert all(not {"name", "email"} & set(r) and len(r["user_id"]) == 32 for r in records)
    assert run.new("pseudonymise")(1001) == records[0]["user_id"], "pseudonyms must be stable"
    assert [p.name for p in run.cwd.rglob("*") if p.is_file()] == ["anonymised.jsonl"], "raw records written to disk"
    run.ok("prepare_data wrote only anonymised records; setup reads them; pseudonyms stable")


@applies("huggingface")
def _anon_hf(run: Run) -> None:
    records = run.new("records")
    assert not {"name", "email"} & set(records.column_names)
    assert all(len(u) == 32 for u in records["user_id"]) and all(z.endswith("**") for z in records["zip"])
    scrub = run.new("scrub_text")
    cleaned = scrub("mail ana@example.com or call +49 30 1234 5678; loss 0.6931471805599453")
    assert "ana@example.com" not in cleaned and "1234 5678" not in cleaned, cleaned
    assert "0.6931471805599453" in cleaned, f"a number that is no phone was scrubbed: {cleaned}"
    clean, original = run.new("train_clean"), run.context["train_dataset"]
    assert clean["text"] == original["text"] and clean["input_ids"] == original["input_ids"], \
        "text without personal data must tokenise as before"
    run.ok("records pseudonymised; e-mails and phone numbers scrubbed from the text before tokenising")


@applies("keras")
def _anon_keras(run: Run) -> None:
    import numpy as np

    df, x = run.new("df"), run.new("x")
    assert "name" not in df and "email" not in df and df["zip"].str.endswith("**").all()
    assert x.dtype == np.float32 and len(x) == len(df) == len(run.new("y")) and np.isfinite(x).all()
    assert x.shape[1] == df["age"].nunique() + df["zip"].nunique() + df["gender"].nunique(), \
        "the feature arrays must come from the coarsened quasi-identifiers only"
    run.ok("identifiers dropped; the arrays for model.fit hold coarsened features only")
