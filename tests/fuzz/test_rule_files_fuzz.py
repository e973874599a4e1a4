"""Hostile `--rules` files: huge format widths, unclosed placeholders, deep conditions, giant integers,
unknown facts, YAML tricks, special files. Refused with file, line and rule id, never a traceback,
a hang or gigabytes allocated (issue 9)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given

from . import harness
from .common import FUZZ, SEEDS, assert_passes, run_generated

VALIDATE = frozenset({0, 1, 2})


def _rule_file(tmp_path, **pieces):
    text = harness.rule_text(**{"id": "FUZ001", "title": "Fuzz", "when": '"gpu_mem_gb >= 16"',
                                "why": "fine", **pieces})
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _both(path, tmp_path, what, reject):
    yield harness.Case("rule-files", ["rules", "validate", str(path)], what, reject=reject, codes=VALIDATE,
                       refusals=frozenset({1, 2}), cwd=tmp_path)
    yield harness.Case("rule-files", ["diagnose", "--format", "json", "--gpu-mem", "8", "--rules", str(path)], what,
                       reject=reject, cwd=tmp_path)


# widths that would allocate gigabytes run in their own process (harness.REAL_PROCESS "template-width")
SAFE_TEMPLATES = [t for t in harness._TEMPLATES if t not in harness.HUGE_TEMPLATES[:2]]


@pytest.mark.parametrize("template", SAFE_TEMPLATES)
def test_a_hostile_template(template, tmp_path):
    path = _rule_file(tmp_path, why=template)
    for case in _both(path, tmp_path, template[:60], template in harness.HUGE_TEMPLATES):
        assert_passes(case)


@pytest.mark.parametrize("spaces", [10, 300])
def test_an_unclosed_placeholder_is_refused_quickly(spaces, tmp_path):
    path = _rule_file(tmp_path, why="{{" + " " * spaces)
    for case in _both(path, tmp_path, f"'{{{{' + {spaces} spaces", True):
        assert_passes(case)


@pytest.mark.parametrize("when", [
    '"' + "not " * 1000 + 'gpu_mem_gb >= 1"', '"' + "(" * 1000 + "gpu_mem_gb >= 1" + ")" * 1000 + '"',
    '"' + " and ".join(["gpu_mem_gb >= 1"] * 1000) + '"', '"gpu_mem_gb >= 1' + "0" * 5000 + '"',
    '"gpu_mem_gb * 1e308 * 1e308 > 1"', '"model_params ** 1000 > 1"', '"gpu_mem_gb / 0 > 1"',
    '"unknown_fact >= 1"', "\"__import__('os')\"", '"gpu_mem_gb >= 1e309"', '"gpu_mem_gb >= nan"',
], ids=lambda w: w[:30])
def test_a_hostile_condition(when, tmp_path):
    path = _rule_file(tmp_path, when=when)
    for case in _both(path, tmp_path, when[:60], False):
        assert_passes(case)


@pytest.mark.parametrize("key, value", [(k, v) for k, values in harness.HOSTILE_RANKING.items() for v in values],
                         ids=lambda x: str(x)[:20])
def test_a_hostile_ranking_key_is_refused(key, value, tmp_path):
    """An evidence weight out of -5..5 or 0, maybe()/known() in evidence, a contra effect or cost not in its list."""
    path = _rule_file(tmp_path, **{key: value})
    for case in _both(path, tmp_path, f"{key} {value[:20]}", True):
        assert_passes(case)


def test_the_valid_ranking_keys_load_and_rank(tmp_path):
    """The template's own evidence, contra and cost are valid: each hostile case above fails for its one value."""
    from advisor.rank import engine
    from advisor.rulebook import loader
    from advisor.setup import fields

    book, errors = loader.load_rulebook([_rule_file(tmp_path)], collect=True)
    assert errors == []
    report = engine.run(book, fields.normalize_setup({harness.MEMORY_FACT: 24}), explain=True)
    entry = next(e for e in report["explain"] if e["rule"] == "FUZ001")
    assert entry["fired"] is True and [e["weight"] for e in entry["evidence"] if "gpu_mem" in str(e["facts"])] == [1]
    assert "the card is already large" not in str(entry["evidence"])
    report = engine.run(book, fields.normalize_setup({harness.MEMORY_FACT: 80}), explain=True)
    entry = next(e for e in report["explain"] if e["rule"] == "FUZ001")  # the contra holds: demoted, not dropped
    assert {"text": "the card is already large", "weight": -engine.DEMOTION, "facts": {}} in entry["evidence"]
    assert any("FUZ001" in a["rules"] for a in report["advice"])


@pytest.mark.parametrize("data", harness.HOSTILE_RULE_FILES, ids=lambda d: repr(d[:20]))
def test_a_hostile_rule_file(data, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(data)
    for case in _both(path, tmp_path, repr(data[:60]), False):
        assert_passes(case)


@pytest.mark.parametrize("kind", harness.SPECIAL_FILES)
def test_a_special_file_as_rules(kind, tmp_path):
    assert_passes(harness._special_case(random.Random(0), tmp_path, "rule-files", lambda p: ["rules", "validate", p],
                                        ".yaml", kind=kind))


@FUZZ
@given(SEEDS)
def test_random_rule_files_keep_the_contract(rng):
    run_generated(harness.rule_file_case, rng)
