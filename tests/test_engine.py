"""Engine properties: deterministic, never crashes, merges by strategy, drops conflicts, names missing facts."""

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from advisor import pipeline
from advisor.rank import engine
from advisor.facts import derive as facts
from advisor.setup import fields
from advisor.rulebook import loader as rulebook

from .setups import setups

BOOK = pipeline.rulebook_for()  # the session's one parse of the built-in rules (conftest `book`)
STRATEGIES = set(BOOK.strategies)


def ranking(report):
    return [(a["strategy"], a["score"]) for a in report["advice"]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups)
def test_random_valid_setups_never_crash_and_rank_consistently(raw):
    setup = fields.normalize_setup(raw)
    report = engine.run(BOOK, setup)
    assert report == engine.run(BOOK, setup)  # deterministic
    scores = [a["score"] for a in report["advice"]]
    assert scores == sorted(scores, reverse=True)
    assert {a["strategy"] for a in report["advice"]} <= STRATEGIES
    assert len({a["strategy"] for a in report["advice"]}) == len(report["advice"])  # merged
    for item in report["advice"]:
        text = item["title"] + item["do"] + "".join(r["text"] for r in item["why"]) + "".join(item["code"].values())
        assert "{{" not in text, item["rule"]
    kept = {a["strategy"] for a in report["advice"]}
    for item in report["advice"]:
        assert not (BOOK.strategies[item["strategy"]].conflicts & kept)


_READ = frozenset().union(*(r.condition.names | {n for b in r.boosts for n in b.condition.names} for r in BOOK.rules))
# fields no rule reads, neither themselves nor as the required input of a fact a rule reads
_UNREAD = [f for f in fields.FIELDS
           if f.name not in _READ and not any(f.name in facts.SPECS[n].requires for n in _READ)]


@settings(max_examples=80, deadline=None)
@given(setups, st.data())
def test_a_fact_no_rule_reads_never_changes_the_ranking(raw, data):
    setup = fields.normalize_setup(raw)
    field = data.draw(st.sampled_from(_UNREAD))
    other = fields.normalize_setup({**raw, field.name: data.draw(
        st.sampled_from(field.choices) if field.choices and field.kind != "set" else st.just(None))})
    base_facts, changed = facts.derive(setup), facts.derive(other)
    # a field can still feed a read fact it is not required for (class_counts refines the minority share):
    # such draws are discarded, and hypothesis fails the test if it discards too many to test anything
    assume(all(base_facts.get(n) == changed.get(n) for n in _READ))
    assert ranking(engine.run(BOOK, setup)) == ranking(engine.run(BOOK, other))


def _book_with(tmp_path, *rules: tuple[str, str, int]):
    """A rulebook of the built-in strategies and small rules (id, strategy, priority) firing on imbalance."""
    from .test_rulebook import GOOD

    text = "rules:\n" + "".join(
        GOOD.split("rules:\n", 1)[1].replace("TST001", rid).replace("class-weighting", strategy)
        .replace("priority: 30", f"priority: {priority}") for rid, strategy, priority in rules)
    (tmp_path / "r.yaml").write_text(text)
    strategies, _ = rulebook.load_strategies(rulebook.builtin_dir() / rulebook.STRATEGY_FILE)
    loaded, errors = rulebook.load_rule_file(tmp_path / "r.yaml", strategies)
    assert not errors
    return rulebook.Rulebook(strategies, tuple(loaded))


def test_rules_for_the_same_strategy_merge_and_keep_every_reason(tmp_path):
    book = _book_with(tmp_path, ("TST001", "class-weighting", 10), ("TST002", "class-weighting", 30),
                      ("TST003", "resampling", 20))
    report = engine.run(book, fields.normalize_setup({"class_ratio": "1:20"}))
    first, second = report["advice"]
    assert first["strategy"] == "class-weighting" and first["rules"] == ["TST002", "TST001"]
    assert [r["rule"] for r in first["why"]] == ["TST002", "TST001"]
    assert first["score"] == second["score"] + 10 + engine.MERGE_BONUS


def test_conflicting_strategy_is_dropped_with_a_reason(tmp_path):
    book = _book_with(tmp_path, ("TST001", "safer-precision", 30), ("TST002", "mixed-precision", 20))
    report = engine.run(book, fields.normalize_setup({"class_ratio": "1:20"}))
    assert [a["strategy"] for a in report["advice"]] == ["safer-precision"]
    assert report["dropped"] == [{"strategy": "mixed-precision", "rule": "TST002",
                                  "reason": report["dropped"][0]["reason"]}]
    assert "conflicts with safer-precision (TST001" in report["dropped"][0]["reason"]


def test_missing_facts_name_flags_that_decide_rules():
    report = engine.run(BOOK, fields.normalize_setup({"symptoms": ["out-of-memory"]}))
    assert report["missing"]
    assert len(report["missing"]) <= engine.MISSING_LIMIT
    first = report["missing"][0]
    assert first["flag"].startswith("--") and first["rules"]


def test_complete_setup_needs_fewer_hints_than_empty_one():
    empty = engine.run(BOOK, {})
    full = engine.run(BOOK, fields.normalize_setup({
        "gpu": "rtx3090", "model_params": "350M", "dataset_size": "50k", "class_ratio": "1:4", "task": "classification",
        "precision": "bf16", "batch_size": 16, "seq_len": 512, "lr": 3e-5, "optimizer": "adamw"}))
    hinted = lambda r: sum(len(m["rules"]) for m in r["missing"])  # noqa: E731
    assert hinted(full) < hinted(empty) or not full["missing"]



@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups)
def test_hints_ask_only_for_unknown_fields_in_setup_key_words(raw):
    setup = fields.normalize_setup(raw)
    for missing in engine.run(BOOK, setup)["missing"]:
        assert missing["field"] not in setup  # never ask for what was given (or filled from a card)
        assert missing["flag"] == fields.BY_NAME[missing["field"]].cli_flag  # for the renderers
        assert missing["rules"] and len(set(missing["rules"])) == len(missing["rules"])
        assert "--" not in missing["hint"] and missing["field"] in missing["hint"]  # library words only
        assert missing["rules"][0] in missing["hint"]


@pytest.mark.parametrize("raw", [{"symptoms": ["out-of-memory"], "model_params": "7B"},
                                 {"symptoms": ["out-of-memory"], "gpu": "t4"}])
def test_a_derived_fact_asks_only_for_its_inputs_not_given(raw):
    """The memory estimate needs card and model: with one given, only the other is asked for."""
    setup = fields.normalize_setup(raw)
    asked = {m["field"] for m in engine.run(BOOK, setup)["missing"]}
    assert asked and not asked & setup.keys()
    assert asked & {"model_params", "model", "gpu"} - setup.keys()


def test_hint_text_names_the_key_for_libraries_and_what_renderers_pass():
    assert engine.hint_text("task", ["A1", "A2", "A3", "A4", "A5"]) == "give task to decide A1, A2, A3 and 2 more"
    assert engine.hint_text("lr", ["A1"], how="--lr / lr:") == "give --lr / lr: (learning rate) to decide A1"

@pytest.mark.parametrize("rule", BOOK.rules, ids=lambda r: r.id)
def test_rule_examples(rule):
    assert rulebook.check_examples(rule) == []
