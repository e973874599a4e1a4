"""What MEM006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, hf_trained


@applies("huggingface")
def _truncated_at_tokenisation(run: Run) -> None:
    max_len = run.new("max_len")
    long_text = " ".join(["w1"] * (max_len + 50))
    ids = run.new("tokenize")({"text": [long_text]})["input_ids"][0]
    assert len(ids) == max_len, f"a {max_len + 50}-word text gave {len(ids)} tokens, not {max_len}"
    data = run.new("short_train")
    lengths = [len(row["input_ids"]) for row in data]
    assert max(lengths) <= max_len and len(set(lengths)) > 1, "not truncated, or still padded to a fixed length"
    rows = [{k: v for k, v in data[i].items()} for i in range(4)]
    batch = run.new("collator")(rows)
    assert batch["input_ids"].shape[1] == max(len(r["input_ids"]) for r in rows), "not padded to the batch's longest"
    assert "labels" in batch or "label" in rows[0]
    run.ok(f"truncated to {max_len} tokens at tokenisation, padded per batch")
    hf_trained(run)
