"""`advisor fill` on hostile configs and targets: a one-line exit 2 or a filled file that reads back;
the original byte-identical on any failure, no temporary file left, links kept (issue 9)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given

from . import harness
from .common import FUZZ, SEEDS, assert_passes, run_generated


@pytest.mark.parametrize("mode", harness.FILL_MODES)
@pytest.mark.parametrize("kind", ["json", "yaml", "toml"])
def test_every_output_mode(kind, mode, tmp_path):
    assert_passes(harness.fill_case(random.Random(f"{kind}{mode}"), tmp_path, kind=kind, extra="none", mode=mode,
                                    params="7B"))


@pytest.mark.parametrize("extra", harness.FILL_EXTRAS)
@pytest.mark.parametrize("kind", ["json", "yaml", "toml"])
def test_every_hostile_config(kind, extra, tmp_path):
    assert_passes(harness.fill_case(random.Random(f"{kind}{extra}"), tmp_path, kind=kind, extra=extra, mode="out-new",
                                    params="7B"))


@pytest.mark.parametrize("kind", harness.SPECIAL_FILES)
def test_a_special_file_as_config(kind, tmp_path):
    assert_passes(harness._special_case(random.Random(0), tmp_path, "fill",
                                        lambda p: ["fill", p, "--gpu", "t4", "--model-params", "7B"], ".yaml",
                                        kind=kind))


@FUZZ
@given(SEEDS)
def test_random_fills_keep_the_contract(rng):
    run_generated(harness.fill_case, rng)
