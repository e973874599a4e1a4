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
