"""Hostile flag values on every setup field: exit 0 or a one-line exit 2, never a traceback or a hang,
never an impossible value accepted (issue 9)."""

from __future__ import annotations

import pytest
from advisor.setup import fields
from hypothesis import given

from . import harness
from .common import FUZZ, SEEDS, assert_passes, run_generated

NUMERIC = [f for f in fields.FIELDS if f.kind in ("number", "int")]
IMPOSSIBLE = ("nan", "-inf", "1e309", "-1", "1,5")


@pytest.mark.parametrize("text", IMPOSSIBLE)
@pytest.mark.parametrize("field", NUMERIC, ids=lambda f: f.name)
def test_an_impossible_number_is_refused_in_one_line(field, text, tmp_path):
    case = harness.Case("cli", ["diagnose", "--format", "json", field.cli_flag, text], f"{field.cli_flag} {text}",
                        reject=True, cwd=tmp_path)
    assert_passes(case)


@pytest.mark.parametrize("argv, reject", [
    (["--gpus", "8G"], True),
    (["--model-params", "1,5B"], True),
    (["--gpu-mem", "1,5"], True),
    (["--model-params", "1e308"], False),
    (["--imbalance", "1e-320"], False),
    (["--imbalance", "1:1e-320"], False),
    (["--seq-len", "1e308", "--model-params", "7B"], False),
    (["--depth", "1e308", "--model-params", "7B"], False),
    (["--image-size", "1e308", "--model-params", "25M"], False),
    (["--lora-rank", "1e308", "--model", "llama-2-7b", "--fine-tuning", "lora"], False),
    (["--batch-size", "1e308", "--model-params", "7B", "--gpu-mem", "8"], False),
    (["--class-counts", "1e308,1"], False),
    (["--num-classes", "1e30"], False),
    (["--gpu-mem", "x" * 100_000], True),
    (["--model-config", "c" * 300], True),
    (["--model", "gpt-1e400b"], False),
], ids=lambda v: " ".join(v)[:40] if isinstance(v, list) else str(v))
@pytest.mark.parametrize("command", [["diagnose", "--format", "json"], ["memory", "--format", "json"],
                                     ["imbalance", "--format", "json"]], ids=lambda c: c[0])
def test_values_the_probe_found(command, argv, reject, tmp_path):
    assert_passes(harness.Case("cli", [*command, *argv], " ".join(argv)[:80], reject=reject, cwd=tmp_path))


@FUZZ
@given(SEEDS)
def test_random_flag_values_keep_the_contract(rng):
    run_generated(harness.cli_case, rng)


@pytest.mark.parametrize("name", harness.REAL_PROCESS)
def test_the_installed_command(name, tmp_path):
    """A few runs of the real `advisor` process: special files, encodings, a kill mid-write, a size limit."""
    assert_passes(harness.REAL_PROCESS[name](tmp_path))
