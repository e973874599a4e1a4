"""The condition language: checked at compile time, three-valued at run time, never executed as code."""

import json
import os
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from advisor import pipeline
from advisor.errors import RuleError
from advisor.facts import derive as facts
from advisor.rulebook import compiled
from advisor.rulebook import loader as rulebook
from advisor.setup import fields
from advisor.rulebook.conditions import ConditionError
from advisor.rulebook.conditions import compile_condition as compile_with_bounds

from .setups import setups


def compile_condition(source, specs):
    return compile_with_bounds(source, specs, rulebook.CONDITION)


def evaluate(source, **known):
    return compile_condition(source, facts.SPECS).evaluate(known)[0]


@pytest.mark.parametrize("source, message", [
    ("gpu_mem < 16", "unknown fact 'gpu_mem'; did you mean 'gpu_mem_gib'"),
    ("symptoms > 3", "cannot compare set with number"),
    ("precision == 'fp61'", "'fp61' is not a value of precision"),
    ("'nan' in symptoms", "'nan' is not a value of symptoms"),
    ("precision < 'fp16'", "only be compared with == or !="),
    ("gpu_mem_gib", "not a yes/no fact"),
    ("__import__('os').system('x')", "only functions are known"),
    ("gpu_mem_gib.real > 1", "not a value"),
    ("lr > ", "syntax error"),
    ("task in ['classification', 3]", "all strings or all numbers"),
    ("1 < 2", "compares literals only"),
])
def test_compile_errors_explain_themselves(source, message):
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace("?", r"\?")):
        compile_condition(source, facts.SPECS)


def test_unknown_facts_make_a_comparison_unknown_not_false():
    assert evaluate("gpu_mem_gib < 16") is None
    assert evaluate("gpu_mem_gib < 16", gpu_mem_gib=8) is True
    assert evaluate("gpu_mem_gib < 16 and lr > 1", gpu_mem_gib=32) is False  # known False dominates and
    assert evaluate("gpu_mem_gib < 16 or lr > 1", gpu_mem_gib=8) is True     # known True dominates or
    assert evaluate("not gpu_mem_gib < 16") is None


def test_maybe_and_known():
    assert evaluate("maybe(task == 'classification')") is True
    assert evaluate("maybe(task == 'classification')", task="regression") is False
    assert evaluate("known(lr)") is False
    assert evaluate("known(lr)", lr=0.1) is True


def test_membership_arithmetic_and_chains():
    assert evaluate("'nan-loss' in symptoms", symptoms=frozenset({"nan-loss"})) is True
    assert evaluate("'nan-loss' not in symptoms", symptoms=frozenset()) is True
    assert evaluate("lr > 10 * lr_high", lr=0.1, lr_high=0.003) is True
    assert evaluate("1e-5 <= lr <= 1e-3", lr=1e-2) is False
    assert evaluate("gpu_mem_gib / gpu_count > 100", gpu_mem_gib=1, gpu_count=0) is None  # no ZeroDivisionError


def test_implied_known_follows_and_or():
    cond = compile_condition("imbalance_ratio > 4 and (lr > 1 or lr < 0.1) and maybe(task == 'other')", facts.SPECS)
    assert cond.implied_known() == {"imbalance_ratio", "lr"}
    either = compile_condition("samples_per_class < 1000 or dataset_size < 10000", facts.SPECS)
    assert either.implied_known() == set()
    inputs = either.implied_known(lambda names: frozenset().union(*(facts.SPECS[n].requires for n in names)))
    assert inputs == {"dataset_size"}


@given(st.text(max_size=40))
def test_any_text_compiles_or_fails_cleanly(text):
    try:
        compile_condition(text, facts.SPECS)
    except ConditionError:
        pass


def test_every_problem_of_a_condition_is_reported():
    with pytest.raises(ConditionError) as caught:
        compile_condition("gpu_mem < 16 and precision == 'fp61' or symptoms > 3", facts.SPECS)
    problems = caught.value.problems
    assert len(problems) == 3
    assert "unknown fact 'gpu_mem'" in problems[0] and "'fp61' is not a value" in problems[1]
    assert "cannot compare set with number" in problems[2]


@pytest.mark.parametrize("source, message", [
    ("not " * 1000 + "lr > 1", "at most 2000 characters"),
    ("lr" + " + lr" * 300 + " > 1", "nests at most 32 levels"),
    ("-" * 500 + "1 < lr", "nests at most 32 levels"),
    ("(" * 300 + "lr > 1" + ")" * 300, "syntax error"),
    ("lr < " + "9" * 1900, "at most 1e+15"),
    ("lr < 1e999", "at most 1e+15"),
    ("lr < 1e16", "at most 1e+15"),
])
def test_oversized_conditions_are_refused_at_compile_time(source, message):
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace("+", r"\+")):
        compile_condition(source, facts.SPECS)


def test_arithmetic_that_overflows_is_unknown_not_an_exception():
    huge = "gpu_count" + " * 999999999999999" * 24  # 10**375: beyond a float, within the nesting bound
    assert evaluate(huge + " / 3 > 1", gpu_count=10**15) is None  # an int too large for a float
    assert evaluate("lr * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 > 1", lr=1e300) is None  # inf
    assert evaluate("lr * 1e15 * 1e15 - lr * 1e15 * 1e15 > 1", lr=1e290) is None  # inf - inf
    assert evaluate("lr * 2 > 1", lr=1.0) is True


_NUMBERS = st.one_of(st.integers(min_value=-10**400, max_value=10**400),
                     st.floats(allow_nan=True, allow_infinity=True))
_ARITH = st.recursive(st.sampled_from(["lr", "gpu_count", "1e15", "0", "999999999999999", "0.5"]),
                      lambda inner: st.tuples(inner, st.sampled_from("+-*/"), inner).map(
                          lambda t: f"({t[0]} {t[1]} {t[2]})"), max_leaves=12)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_ARITH, st.sampled_from(["<", "<=", "==", "!=", ">"]), _ARITH, _NUMBERS, _NUMBERS)
def test_evaluation_is_total(left, op, right, lr, gpu_count):
    try:
        condition = compile_condition(f"{left} {op} {right}", facts.SPECS)
    except ConditionError:  # literals only, or nested too deeply: discarded, and too many discards fail the test
        assume(False)
    result, _ = condition.evaluate({"lr": lr, "gpu_count": gpu_count})
    assert result in (True, False, None)


def test_explain_keeps_the_structure_of_the_condition():
    condition = compile_condition("imbalance_ratio >= 4 and not imbalance_ratio < 4 and maybe(task == 'other')",
                                  facts.SPECS)
    tree = condition.explain({"imbalance_ratio": 20.0})
    assert tree["op"] == "and" and tree["result"] is True
    first, negated, maybe = tree["parts"]
    assert first == {"test": "imbalance_ratio >= 4", "result": True, "facts": {"imbalance_ratio": 20.0}}
    assert negated["op"] == "not" and negated["result"] is True and negated["parts"][0]["result"] is False
    assert maybe["op"] == "maybe" and maybe["result"] is True and maybe["parts"][0]["result"] is None


# ---------------------------------------------------------------- the compiled-rulebook cache

def _cached_books(folder):
    return sorted(folder.glob("book-*.json"))


@pytest.fixture
def cache_dir():
    """The session's cache folder (conftest), its parsed YAML kept warm, without cached rulebooks."""
    folder = Path(os.environ["ADVISOR_CACHE_DIR"])
    for book in _cached_books(folder):
        book.unlink()
    return folder


@pytest.fixture
def team(tmp_path):
    from .test_rulebook import GOOD

    path = tmp_path / "team.yaml"
    path.write_text(GOOD)
    return path


def test_the_cached_rulebook_is_the_loaded_one_and_skips_the_loader(cache_dir, team, monkeypatch):
    expected = rulebook.load_rulebook([team])[0]
    assert compiled.load_rulebook([team]) == expected
    assert len(_cached_books(cache_dir)) == 1
    monkeypatch.setattr(rulebook, "load_rulebook", lambda *a, **k: pytest.fail("read from the rule files again"))
    again = compiled.load_rulebook([team])
    assert again == expected and again.get("TST001").condition.evaluate({"imbalance_ratio": 20.0})[0] is True


def test_an_edited_rule_file_is_read_again(cache_dir, team):
    assert compiled.load_rulebook([team]).get("TST001").title == "Weight the loss"
    team.write_text(team.read_text().replace("Weight the loss", "Weigh the loss"))
    assert compiled.load_rulebook([team]).get("TST001").title == "Weigh the loss"


def test_rule_files_are_named_relative_to_the_working_directory_of_each_run(cache_dir, team, monkeypatch):
    monkeypatch.chdir(team.parent)
    assert compiled.load_rulebook([team]).get("TST001").file == "team.yaml"
    monkeypatch.chdir(cache_dir)  # the book cached in the other folder names the file as seen from here
    assert compiled.load_rulebook([team]).get("TST001").file == str(team.resolve())


def _damage_condition(book):
    book["rules"][-1]["when"][1] = ["bool", "no_such_fact"]


def _damage_tag(book):
    book["rules"][-1]["when"][1] = ["exec", "print(1)"]


def _damage_kind(book):
    book["rules"][-1]["when"][1][2][0][2] = ["const", 4, "object"]


def _damage_type(book):
    book["rules"][-1]["title"] = 7


@pytest.mark.parametrize("damage", [_damage_condition, _damage_tag, _damage_kind, _damage_type, None])
def test_a_damaged_cache_is_read_again_from_the_rules(cache_dir, team, damage):
    expected = compiled.load_rulebook([team])
    (cached,) = _cached_books(cache_dir)
    if damage is None:
        cached.write_bytes(b"\x00{not json")
    else:
        data = json.loads(cached.read_text(encoding="utf-8"))
        damage(data["book"])
        cached.write_text(json.dumps(data), encoding="utf-8")
    assert compiled.load_rulebook([team]) == expected


def test_a_rule_file_with_an_error_raises_every_time_and_is_not_cached(cache_dir, team):
    team.write_text(team.read_text().replace("imbalance_ratio >= 4", "imbalance >= 4"))
    for _ in range(2):
        with pytest.raises(RuleError, match="unknown fact 'imbalance'"):
            compiled.load_rulebook([team])
    assert _cached_books(cache_dir) == []


_BUILTIN = pipeline.rulebook_for()
_DECODED = compiled.decode(json.loads(json.dumps(compiled.encode(_BUILTIN))))


def test_the_builtin_rulebook_survives_its_plain_data_form():
    assert _DECODED == _BUILTIN


@settings(max_examples=40, deadline=None)
@given(setups)
def test_decoded_conditions_evaluate_as_compiled_ones(raw):
    known = facts.derive(fields.normalize_setup(raw))
    for rule, decoded in zip(_BUILTIN.rules, _DECODED.rules):
        assert decoded.condition.evaluate(known)[0] == rule.condition.evaluate(known)[0], rule.id
        assert decoded.condition.explain(known) == rule.condition.explain(known), rule.id
