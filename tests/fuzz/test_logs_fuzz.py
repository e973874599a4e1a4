"""Hostile training logs (CSV, JSON Lines, trainer_state.json, gzip, garbage, NaN/inf, 15k constant
values, deep nesting, special files): an answer or a one-line exit 2, never a traceback or a hang."""

from __future__ import annotations

import random

import pytest
from hypothesis import given

from . import harness
from .common import FUZZ, SEEDS, assert_passes, run_generated


@pytest.mark.parametrize("style", harness.LOG_STYLES)
@pytest.mark.parametrize("kind", [k for k in harness.LOG_KINDS if k != "special"])
def test_every_log_kind(kind, style, tmp_path):
    assert_passes(harness.log_case(random.Random(f"{kind}{style}"), tmp_path, kind=kind, style=style))


def test_a_flat_loss_of_15k_identical_values(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("step,loss\n" + "".join(f"{i},0.6931471805599453\n" for i in range(15_000)))
    assert_passes(harness.Case("logs", ["diagnose", "--format", "json", "--log", str(path)], "15k equal losses",
                               cwd=tmp_path))


@pytest.mark.parametrize("kind", harness.SPECIAL_FILES)
def test_a_special_file_as_log(kind, tmp_path):
    assert_passes(harness._special_case(random.Random(0), tmp_path, "logs",
                                        lambda p: ["diagnose", "--format", "json", "--log", p], ".csv", kind=kind))


@FUZZ
@given(SEEDS)
def test_random_logs_keep_the_contract(rng):
    run_generated(harness.log_case, rng)
