"""Hostile setup files (YAML, JSON, TOML, special files, a foreign pyproject.toml): a one-line exit 2 or
an answer, never a traceback, a hang or an impossible value (issue 9)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given

from . import harness
from .common import FUZZ, SEEDS, assert_passes, run_generated


@pytest.mark.parametrize("name, data, reject", harness.HOSTILE_SETUP_FILES,
                         ids=[f"{n}:{d[:24]!r}" for n, d, _ in harness.HOSTILE_SETUP_FILES])
def test_a_hostile_setup_file(name, data, reject, tmp_path):
    path = tmp_path / name
    path.write_bytes(data)
    if name == "pyproject.toml":  # found in the working directory: every command run there reads it
        case = harness.Case("setup-files", ["diagnose", "--format", "json"], f"discovered {data!r}", cwd=tmp_path)
    else:
        case = harness.Case("setup-files", ["diagnose", "--format", "json", "--setup", str(path)], repr(data[:60]),
                            reject=bool(reject), cwd=tmp_path)
    assert_passes(case)


def test_a_leading_zero_is_not_octal(tmp_path):
    """YAML 1.1 reads `010` as 8; a setup means ten GPUs, or is refused."""
    path = tmp_path / "s.yaml"
    path.write_text("gpu_count: 010\n")
    result = harness.run(harness.Case("setup-files", ["diagnose", "--format", "json", "--setup", str(path)], "010",
                                      cwd=tmp_path))
    assert result.code == 2 or json.loads(result.out)["setup"]["gpu_count"] == 10, result.out[:200]


@pytest.mark.parametrize("levels", [100, 2000, 5000])
@pytest.mark.parametrize("kind", ["yaml", "json", "toml"])
def test_deep_nesting_is_refused_in_one_line(kind, levels, tmp_path):
    path = tmp_path / f"s.{kind}"
    path.write_text(harness._deep(levels, kind))
    assert_passes(harness.Case("setup-files", ["diagnose", "--setup", str(path)], f"{kind} nested {levels} deep",
                               reject=True, cwd=tmp_path))


@pytest.mark.parametrize("kind", harness.SPECIAL_FILES)
def test_a_special_file_as_setup(kind, tmp_path):
    case = harness._special_case(random.Random(0), tmp_path, "setup-files",
                                 lambda p: ["diagnose", "--format", "json", "--setup", p], ".yaml", kind=kind)
    assert_passes(case)


@FUZZ
@given(SEEDS)
def test_random_setup_files_keep_the_contract(rng):
    run_generated(harness.setup_file_case, rng)
