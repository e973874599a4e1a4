"""The library and Monitor on hostile input: nothing but pydantic.ValidationError escapes, a training
loop is never broken by a valid update, and results agree across threads and with the CLI (issue 9)."""

from __future__ import annotations

import math

import advisor
import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from . import harness
from .common import FUZZ, SEEDS, assert_probe


def _library_only(call):
    _, failures = harness._library_call(call)
    assert not failures, failures


def test_an_ordinary_setup_with_symptoms():
    setup = {"gpu": "rtx3090", "model": "llama-2-7b", "fine_tuning": "lora", "symptoms": ["out-of-memory"]}
    _library_only(lambda: advisor.diagnose(setup))
    _library_only(lambda: advisor.diagnose(advisor.Setup(**setup)))


@pytest.mark.parametrize("kwargs", [{"setup": "not a mapping"}, {"setup": {"gpu_mem_gb": "nan"}},
                                    {"setup": {"gpu_mem_gb": math.inf}}, {"stop_on": ["x"]}, {"stop_on": 8},
                                    {"top": -1}, {"top": math.nan}], ids=repr)
def test_impossible_monitor_arguments_are_refused_at_construction(kwargs):
    with pytest.raises(ValidationError):
        advisor.Monitor(**kwargs)


def test_a_single_stop_symptom_is_one_symptom():
    try:
        monitor = advisor.Monitor(stop_on="nan-loss")
    except ValidationError:
        return
    assert monitor.stop_on == frozenset({"nan-loss"})


@pytest.mark.parametrize("step", [math.nan, math.inf, "abc", None])
def test_an_impossible_step_is_refused_when_given(step):
    monitor = advisor.Monitor(advise=False)
    with pytest.raises(ValidationError):
        monitor.update(step, loss=0.5)
    monitor.update(1, loss=0.5)  # and training goes on


def test_a_flat_loss_for_15k_steps_never_raises():
    monitor = advisor.Monitor({"gpu": "rtx3090", "model": "llama-2-7b", "fine_tuning": "lora"})
    for step in range(15_000):
        monitor.update(step, loss=0.5, grad_norm=1.0)
    monitor.close()


@FUZZ
@given(SEEDS)
def test_random_library_setups_keep_the_contract_and_match_the_cli(rng):
    assert_probe(harness.library_probe, rng)


@settings(FUZZ, max_examples=12)
@given(SEEDS)
def test_random_monitors_and_streams_never_break_the_loop(rng):
    assert_probe(harness.monitor_probe, rng)


@settings(FUZZ, max_examples=2)
@given(SEEDS)
def test_threads_give_the_same_answers(rng):
    assert_probe(harness.threads_probe, rng)
