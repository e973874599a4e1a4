"""Engine properties: deterministic, never crashes, ranks by the known evidence (issue 11), merges by strategy,
drops conflicts, names missing facts."""

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from advisor import pipeline
from advisor.errors import InputError
from advisor.rank import engine, questions
from advisor.facts import derive as facts
from advisor.setup import fields
from advisor.rulebook import diagnosis, loader as rulebook
from advisor.vocabulary import SEVERITY_RANK

from .setups import _field_values, setups

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
    ranks = [(not a["addresses"], -a["score"]) for a in report["advice"]]
    assert ranks == sorted(ranks)  # tier first (addresses a present problem), then score
    assert {a["strategy"] for a in report["advice"]} <= STRATEGIES
    assert len({a["strategy"] for a in report["advice"]}) == len(report["advice"])  # merged
    for item in report["advice"]:
        text = item["title"] + item["do"] + "".join(r["text"] for r in item["why"]) + "".join(item["code"].values())
        assert "{{" not in text, item["rule"]
    kept = {a["strategy"] for a in report["advice"]}
    for item in report["advice"]:
        assert not (BOOK.strategies[item["strategy"]].conflicts & kept)


def _names(conditions) -> frozenset[str]:
    return frozenset().union(*(c.names for c in conditions))


# what orders the advice: rule evidence and contraindications, cause evidence, problem conditions; the engine
# also reads `tried` (a fix already in use is demoted) and `symptoms` (the declared problems) itself
_SCORING = _names([e.condition for r in BOOK.rules for e in r.evidence]
                  + [k.condition for r in BOOK.rules for k in r.contra]
                  + [e.condition for c in BOOK.diagnosis.causes.values() for e in c.evidence]
                  + [p.condition for p in BOOK.diagnosis.problems.values() if p.condition is not None]) \
    | {"tried", "symptoms"}
_GUARDS = _names(r.condition for r in BOOK.rules)  # what decides whether a rule applies at all
_READ = _SCORING | _GUARDS


def _feeds(field: fields.Field, names: frozenset[str]) -> bool:
    """The field is one of `names`, or the required input of a fact among them."""
    return field.name in names or any(field.name in facts.SPECS[n].requires for n in names if n in facts.SPECS)


# fields no rule reads, neither themselves nor as the required input of a fact a rule reads
_UNREAD = [f for f in fields.FIELDS if not _feeds(f, _READ)]


def test_the_read_facts_cover_every_part_of_the_diagnosis():
    """_READ is what the unread-field property rests on: it must see evidence, contra, causes and problems."""
    assert {"precision", "lr_ratio", "imbalance_ratio", "contains_pii", "tried"} <= _SCORING
    assert any(r.contra for r in BOOK.rules) and any(r.evidence for r in BOOK.rules)
    assert _SCORING - _GUARDS  # facts read only as evidence: a scan of `when` alone would call them unread
    assert _UNREAD


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


# ---------------------------------------------------------------- the diagnosis's properties (issue 11)

def _order_key(item):
    """The documented order: tier, score, its cause's score, evidence for it, severity, cost (the leading rule's)."""
    rule = BOOK.get(item["rule"])
    return (0 if item["addresses"] else 1, -item["score"], -item["cause"]["score"], -len(item["evidence_for"]),
            SEVERITY_RANK[rule.severity], diagnosis.COSTS[BOOK.cost(rule)])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups)
def test_the_order_follows_the_evidence_and_never_the_names(raw):
    setup = fields.normalize_setup(raw)
    report = engine.run(BOOK, setup)
    advice = report["advice"]
    keys = [_order_key(a) for a in advice]
    assert keys == sorted(keys)  # ties of score go to more evidence, then severity, then cost
    # items that address a present problem rank above every item that does not
    tiers = [bool(a["addresses"]) for a in advice]
    assert tiers == sorted(tiers, reverse=True)
    present = {p["id"] for p in report["problems"]}
    assert all(set(a["addresses"]) <= present for a in advice)
    # deterministic, and independent of the order the rules were written in: names decide only true ties
    shuffled = rulebook.Rulebook(BOOK.strategies, tuple(reversed(BOOK.rules)), BOOK.diagnosis)
    again = engine.run(shuffled, setup)
    assert again["advice"] == advice and again == engine.run(shuffled, setup)
    # evidence speaks of known facts only
    known = {k for k, v in report["facts"].items() if v is not None}
    shown = [e for a in advice for e in a["evidence_for"] + a["evidence_against"]]
    shown += [e for c in report["causes"] for e in c["evidence"]]
    for evidence in shown:
        assert set(evidence["facts"]) <= known, evidence
        assert None not in evidence["facts"].values(), evidence
    assert all(e["weight"] > 0 for a in advice for e in a["evidence_for"])
    assert all(e["weight"] < 0 for a in advice for e in a["evidence_against"])


_CHOICE = [f for f in fields.FIELDS if f.kind == "bool" or (f.kind == "str" and f.choices)]


def _values(field: fields.Field) -> tuple:
    return (True, False) if field.kind == "bool" else field.choices


def _rule_ranks(report) -> dict[str, tuple[int, int]]:
    """rule -> (-tier, score): explain scores every rule, fired or not, so a guard cannot hide a value."""
    return {entry["rule"]: (-entry["tier"], entry["score"]) for entry in report["explain"]}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups, st.sampled_from(_CHOICE))
def test_not_knowing_a_choice_never_ranks_a_rule_higher_than_some_known_value_does(raw, field):
    """Unknown facts add no score: with the field removed, every rule (and so every item, which is its best
    rule's) ranks no higher than it does for at least one of the field's values."""
    raw = {k: v for k, v in raw.items() if k != field.name}
    setup = fields.normalize_setup(raw)
    assume(field.name not in setup)  # not filled in from another field (a card's memory)
    known: dict[str, tuple[int, int]] = {}
    for value in _values(field):
        try:
            other = fields.normalize_setup({**raw, field.name: value})
        except InputError:  # a value that contradicts the rest of the setup
            continue
        for rule, rank in _rule_ranks(engine.run(BOOK, other, explain=True)).items():
            known[rule] = max(known.get(rule, rank), rank)
    assume(known)
    unknown = engine.run(BOOK, setup, explain=True)
    for rule, rank in _rule_ranks(unknown).items():
        assert rank <= known[rule], (field.name, rule, rank, known[rule])
    for item in unknown["advice"]:  # what the user sees: the item's tier and score are its leading rule's
        assert ((-1 if not item["addresses"] else 0), item["score"]) == _rule_ranks(unknown)[item["rule"]]


@pytest.mark.parametrize("raw", [{"model_params": 1000}, {"model_params": "7B", "symptoms": ["out-of-memory"]},
                                 {"model_params": "125M", "fine_tuning": "full", "dataset_size": 500}])
def test_not_knowing_the_cards_memory_never_ranks_a_rule_higher_than_every_card_does(raw):
    """The same property for a number: evidence against that holds on every card (1000 parameters fit any
    card) must not vanish, to the rule's profit, when the card is left out."""
    unknown = _rule_ranks(engine.run(BOOK, fields.normalize_setup(raw), explain=True))
    known: dict[str, tuple[int, int]] = {}
    for memory in (4, 8, 12, 16, 24, 40, 48, 80, 141, 192):
        for rule, rank in _rule_ranks(engine.run(BOOK, fields.normalize_setup({**raw, "gpu_mem_gb": memory}),
                                                 explain=True)).items():
            known[rule] = max(known.get(rule, rank), rank)
    assert {rule: (rank, known[rule]) for rule, rank in unknown.items() if rank > known[rule]} == {}


def _feeds_only_guards(field: fields.Field) -> bool:
    return _feeds(field, _GUARDS) and not _feeds(field, _SCORING)


_GUARD_ONLY = [f for f in fields.FIELDS if _feeds_only_guards(f)]


def test_there_are_guard_only_fields_to_test():
    assert _GUARD_ONLY, "every field a guard reads is evidence too: the guard property tests nothing"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups, st.data())
def test_a_fact_that_only_satisfies_a_guard_never_reorders_the_items(raw, data):
    field = data.draw(st.sampled_from(_GUARD_ONLY))
    raw = {k: v for k, v in raw.items() if k != field.name}
    setup = fields.normalize_setup(raw)
    assume(field.name not in setup)
    try:
        other = fields.normalize_setup({**raw, field.name: data.draw(_field_values(field))})
    except InputError:
        assume(False)
    # what the field fills in or derives must not reach the evidence either (a model name fills its size)
    base_facts, changed = facts.derive(setup), facts.derive(other)
    assume(all(base_facts.get(n) == changed.get(n) for n in _SCORING))
    before, after = (engine.run(BOOK, s, explain=True) for s in (setup, other))
    # no rule's score moves: a guard decides whether a fix applies, never how strongly the setup calls for it
    scores = [{e["rule"]: (e["tier"], e["score"], e["evidence"]) for e in r["explain"]} for r in (before, after)]
    assert scores[0] == scores[1]
    # so the items of both reports keep their order; an item counts as the same when the same rules make it
    # (a rule the new fact lets fire may join an item and bring its own link to the problem)
    items = [[(a["strategy"], tuple(a["rules"])) for a in r["advice"]] for r in (before, after)]
    both = set(items[0]) & set(items[1])
    assert [i for i in items[0] if i in both] == [i for i in items[1] if i in both]


def _book_with(tmp_path, *rules: tuple[str, str, int]):
    """The built-in strategies and causes with small rules (id, strategy, weight of their own evidence), firing
    on imbalance: the weight holds from a 1:10 ratio on (0: no evidence of their own)."""
    from .test_rulebook import GOOD

    def rule(rid, strategy, weight):
        evidence = f"cost: low\n    evidence:\n      - when: imbalance_ratio >= 10\n        weight: {weight}"
        return (GOOD.split("rules:\n", 1)[1].replace("TST001", rid).replace("class-weighting", strategy)
                .replace("cost: low", evidence if weight else "cost: low"))

    (tmp_path / "r.yaml").write_text("rules:\n" + "".join(rule(*r) for r in rules))
    book, errors = rulebook.load_rulebook([tmp_path / "r.yaml"], collect=True)
    assert not errors
    return rulebook.Rulebook(book.strategies, tuple(r for r in book.rules if r.id.startswith("TST")), book.diagnosis)


IMBALANCED = fields.normalize_setup({"class_ratio": "1:20"})


def test_rules_for_the_same_strategy_merge_and_keep_every_reason_without_a_bonus(tmp_path):
    book = _book_with(tmp_path, ("TST001", "class-weighting", 1), ("TST002", "class-weighting", 3),
                      ("TST003", "resampling", 2))
    report = engine.run(book, IMBALANCED)
    first, second = report["advice"]
    assert first["strategy"] == "class-weighting" and first["rules"] == ["TST002", "TST001"]
    assert [r["rule"] for r in first["why"]] == ["TST002", "TST001"]
    alone = engine.run(_book_with(tmp_path, ("TST002", "class-weighting", 3)), IMBALANCED)["advice"][0]
    # the merged item is its best rule's: same score, same evidence; more rules saying it adds nothing
    assert (first["score"], first["evidence_for"], first["cause"]) == (alone["score"], alone["evidence_for"],
                                                                       alone["cause"])
    # both strategies treat the imbalance directly at low cost: their own evidence (3 against 2) decides
    assert first["score"] == second["score"] + 1
    assert first["addresses"] == second["addresses"] == ["skewed-classes"]


@pytest.mark.parametrize("weights, kept, lost", [((5, -5), "safer-precision", "mixed-precision"),
                                                 ((-5, 5), "mixed-precision", "safer-precision")])
def test_of_two_conflicting_strategies_the_one_the_evidence_favours_stays(tmp_path, weights, kept, lost):
    book = _book_with(tmp_path, ("TST001", "safer-precision", weights[0]), ("TST002", "mixed-precision", weights[1]))
    report = engine.run(book, IMBALANCED)
    assert [a["strategy"] for a in report["advice"]] == [kept]
    rule = {"safer-precision": "TST001", "mixed-precision": "TST002"}
    assert report["dropped"] == [{"strategy": lost, "rule": rule[lost], "reason": report["dropped"][0]["reason"]}]
    assert f"conflicts with {kept} ({rule[kept]}" in report["dropped"][0]["reason"]


def test_missing_facts_name_flags_that_decide_rules():
    report = engine.run(BOOK, fields.normalize_setup({"symptoms": ["out-of-memory"]}))
    assert report["missing"]
    assert len(report["missing"]) <= questions.MISSING_LIMIT
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
    assert asked & {"model_params", "model", "gpu", "gpu_mem_gib"} - setup.keys()


def test_hint_text_names_the_key_for_libraries_and_what_renderers_pass():
    assert questions.hint_text("task", ["A1", "A2", "A3", "A4", "A5"]) == "give task to decide A1, A2, A3 and 2 more"
    assert questions.hint_text("lr", ["A1"], how="--lr / lr:") == "give --lr / lr: (learning rate) to decide A1"


@pytest.mark.parametrize("rule", BOOK.rules, ids=lambda r: r.id)
def test_rule_examples(rule):
    assert rulebook.check_examples(rule) == []
