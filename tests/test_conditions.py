"""The condition language: checked at compile time, three-valued at run time, never executed as code."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor import facts
from advisor.conditions import ConditionError, compile_condition


def evaluate(source, **known):
    return compile_condition(source, facts.SPECS).evaluate(known)[0]


@pytest.mark.parametrize("source, message", [
    ("gpu_mem < 16", "unknown fact 'gpu_mem'; did you mean 'gpu_mem_gb'"),
    ("symptoms > 3", "cannot compare set with number"),
    ("precision == 'fp61'", "'fp61' is not a value of precision"),
    ("'nan' in symptoms", "'nan' is not a value of symptoms"),
    ("precision < 'fp16'", "only be compared with == or !="),
    ("gpu_mem_gb", "not a yes/no fact"),
    ("__import__('os').system('x')", "only functions are known"),
    ("gpu_mem_gb.real > 1", "not a value"),
    ("lr > ", "syntax error"),
    ("task in ['classification', 3]", "all strings or all numbers"),
    ("1 < 2", "compares literals only"),
])
def test_compile_errors_explain_themselves(source, message):
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace("?", r"\?")):
        compile_condition(source, facts.SPECS)


def test_unknown_facts_make_a_comparison_unknown_not_false():
    assert evaluate("gpu_mem_gb < 16") is None
    assert evaluate("gpu_mem_gb < 16", gpu_mem_gb=8) is True
    assert evaluate("gpu_mem_gb < 16 and lr > 1", gpu_mem_gb=32) is False  # known False dominates and
    assert evaluate("gpu_mem_gb < 16 or lr > 1", gpu_mem_gb=8) is True     # known True dominates or
    assert evaluate("not gpu_mem_gb < 16") is None


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
    assert evaluate("gpu_mem_gb / gpu_count > 100", gpu_mem_gb=1, gpu_count=0) is None  # no ZeroDivisionError


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
