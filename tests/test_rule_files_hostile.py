"""User rule files are an attack surface (`--rules`, `rules validate`): each hostile file is refused at load
with a one-line RuleError naming the file, the line and the rule, never a hang, a traceback or gigabytes."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.rulebook import diagnosis, loader as rulebook, templates, yamlfile
from advisor.errors import RuleError

from .test_rulebook import GOOD

CAUSES = rulebook.load_diagnosis(rulebook.builtin_dir() / diagnosis.CAUSE_FILE)[0].causes
STRATEGIES = rulebook.load_strategies(rulebook.builtin_dir() / rulebook.STRATEGY_FILE, CAUSES)[0]


def errors_of(path):
    return rulebook.load_rule_file(path, STRATEGIES, CAUSES)[1]


def load(tmp_path, text, name="team.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return errors_of(path)


def refused(tmp_path, text, message, *, rule=True):
    errors = load(tmp_path, text)
    assert errors, "loaded without error"
    hit = [e for e in errors if message in str(e)]
    assert hit, [str(e) for e in errors]
    assert all("\n" not in str(e) for e in errors)
    line = str(hit[0])
    assert line.startswith(f"{rulebook.display_path(tmp_path / 'team.yaml')}:")  # file and line
    if rule:
        assert "[TST001]" in line
    return line


def with_when(condition):
    return GOOD.replace("when: imbalance_ratio >= 4", f"when: {json.dumps(condition)}")


@pytest.mark.parametrize("spec", ["1000000000", ".1000000000f", ">3000000000", "0=1000000000,"])
def test_a_format_spec_with_a_huge_width_or_precision_is_refused(tmp_path, spec):
    text = GOOD.replace("{{class_weight_minority:.3g}}", f"{{{{class_weight_minority:{spec}}}}}", 1)
    refused(tmp_path, text, "is not accepted; use [,][.N][f|g|e|%]")


def test_an_unclosed_placeholder_before_many_spaces_is_refused(tmp_path):
    text = GOOD.replace("Ratio {{class_ratio}}.", '"Ratio {{class_ratio' + " " * 19_000 + '"')
    refused(tmp_path, text, "malformed placeholder")


@pytest.mark.parametrize("condition, message", [
    ("not " * 1000 + "imbalance_ratio >= 4", "at most 2000 characters"),
    ("imbalance_ratio" + " + 1" * 200 + " >= 4", "nests at most 32 levels"),
    ("imbalance_ratio >= " + "9" * 5000, "at most 2000 characters"),
    ("imbalance_ratio >= " + "9" * 1000, "at most 1e+15 in size"),
    ("imbalance_ratio >= 1e999", "at most 1e+15 in size"),
    ("imbalance_ratio ** 1000 > 1", "not a value"),
])
def test_a_condition_too_large_to_compile_safely_is_refused(tmp_path, condition, message):
    refused(tmp_path, with_when(condition), message)


def with_evidence(weight, when="imbalance_ratio >= 10"):
    return GOOD.replace("    why:", f"    evidence:\n      - when: {when}\n        weight: {weight}\n    why:")


def with_contra(effect, when="imbalance_ratio >= 10"):
    return GOOD.replace("    why:", f"    contra:\n      - when: {when}\n        says: already done\n        effect: {effect}\n    why:")


def test_a_giant_integer_in_yaml_is_refused_with_its_line(tmp_path):
    line = refused(tmp_path, with_evidence("1" * 5000), "a number of 5000 characters", rule=False)
    assert "team.yaml:10:" in line  # the weight's line


WEIGHT = "evidence 1: each item is {when: condition, weight: whole number -5..5 but not 0, says: text}"


@pytest.mark.parametrize("text, message, line", [
    (with_evidence(0), WEIGHT, 9),  # a weight of 0 says nothing: refused, not ignored
    (with_evidence(6), WEIGHT, 9),
    (with_evidence(-6), WEIGHT, 9),
    (with_evidence(1.5), WEIGHT, 9),
    (with_evidence("true"), WEIGHT, 9),
    (with_evidence(2, "maybe(imbalance_ratio >= 10)"), "evidence 1: evidence speaks of known facts only; maybe() "
                                                      "and known() are not allowed here", 9),
    (with_evidence(2, "known(lr)"), "maybe() and known() are not allowed here", 9),
    (with_contra("drop", "maybe(lr > 0.1)"), "contra 1: evidence speaks of known facts only", 9),
    (with_contra("boost"), "contra 1: each item is {when: condition, says: text, effect: drop or demote}", 9),
    (GOOD.replace("    why:", "    treats: {class-imbalanse: direct}\n    why:"),
     "treats: unknown cause 'class-imbalanse'; did you mean 'class-imbalance'? (the causes are in causes.yaml)", 8),
    (GOOD.replace("    why:", "    treats: {class-imbalance: strongly}\n    why:"),
     "treats.class-imbalance must be one of direct, partial, indirect", 8),
    (GOOD.replace("    why:", "    treats: {}\n    why:"), "treats must map cause ids to direct, partial, indirect", 8),
    (GOOD.replace("cost: low", "cost: free"), "cost must be one of low, medium, high", 6),
], ids=["weight 0", "weight 6", "weight -6", "weight 1.5", "weight true", "maybe in evidence", "known in evidence",
        "maybe in contra", "bad effect", "unknown cause", "bad directness", "no cause", "bad cost"])
def test_a_bad_ranking_key_is_one_line_naming_file_line_and_rule(tmp_path, text, message, line):
    shown = refused(tmp_path, text, message)
    assert shown.startswith(f"{rulebook.display_path(tmp_path / 'team.yaml')}:{line} [TST001]: ")


def test_deep_yaml_nesting_is_refused(tmp_path):
    line = refused(tmp_path, GOOD.replace("sources: [12]", "sources: " + "[" * 100 + "]" * 100),
                   "nested deeper than 32 levels", rule=False)
    assert "team.yaml:13:" in line
    refused(tmp_path, GOOD.replace("sources: [12]", "sources: " + "[" * 5000 + "]" * 5000), "invalid YAML", rule=False)
    block = "".join("  " * i + "k:\n" for i in range(1, 200))
    refused(tmp_path, GOOD + "extra:\n" + block, "nested deeper than", rule=False)


def test_a_rule_file_over_the_size_limit_is_refused(tmp_path):
    refused(tmp_path, GOOD + "# " + "x" * rulebook.FILE_BYTES + "\n", "larger than 1 MiB", rule=False)


def test_a_symlink_loop_in_a_rules_folder_is_refused(tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    os.symlink(folder / "loop.yaml", folder / "loop.yaml")
    book, errors = rulebook.load_rulebook([folder], collect=True)
    assert book.get("TST001") is not None
    assert [e.file.endswith("loop.yaml") and "symbolic links" in str(e) for e in errors] == [True]
    _, errors = rulebook.load_rulebook([folder / "loop.yaml"], collect=True)
    assert "too many levels of symbolic links" in str(errors[0])


def test_a_fifo_in_a_rules_folder_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    _, errors = rulebook.load_rulebook([tmp_path], collect=True)
    assert ["not a regular file" in str(e) for e in errors] == [True]


def test_what_an_error_echoes_is_one_bounded_line(tmp_path):
    key = json.dumps("bad\nkey" + "x" * 1000)  # YAML's longest key
    line = refused(tmp_path, GOOD.replace("    sources: [12]", f"    sources: [12]\n    {key}: 1"), "unknown key")
    assert len(line) < 500


def test_every_problem_of_a_rule_is_reported(tmp_path):
    text = with_when("gpu_mem < 16 and precision == 'fp61'").replace("severity: high", "severity: critical")
    text = text.replace("{{class_ratio}}", "{{class_ration}}").replace("sources: [12]", "sources: [99]")
    errors = load(tmp_path, text)
    messages = [e.message for e in errors]
    assert len(errors) == 5, messages
    for expected in ("unknown fact 'gpu_mem'", "'fp61' is not a value of precision", "severity must be one of",
                     "unknown fact 'class_ration'", "sources must be section numbers"):
        assert sum(expected in m for m in messages) == 1, (expected, messages)
    assert all(e.rule == "TST001" and e.line for e in errors)
    assert {e.line for e in errors if "when:" in e.message} == {7}  # the line of `when`


def test_a_bad_evidence_item_is_reported_with_its_own_line_and_every_problem(tmp_path):
    text = GOOD.replace("    why:", "    evidence:\n      - when: imbalance_ratio >= 20\n        weight: 2\n"
                                   "      - when: imbalanse_ratio >= 30\n        weight: 1000\n    why:")
    errors = load(tmp_path, text)
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [(11, "evidence 2"), (11, "evidence 2")]
    assert "whole number -5..5 but not 0" in str(errors[0]) and "unknown fact 'imbalanse_ratio'" in str(errors[1])


def test_the_validation_summary_agrees_in_number(tmp_path):
    (tmp_path / "team.yaml").write_text(GOOD.replace("severity: high", "severity: critical"))
    checked, errors = rulebook.validate([tmp_path / "team.yaml"])
    assert rulebook.validation_summary(checked, errors) == "0 rules checked, 0 examples run, 1 problem"
    (tmp_path / "team.yaml").write_text(GOOD)
    checked, errors = rulebook.validate([tmp_path / "team.yaml"])
    assert rulebook.validation_summary(checked, errors) == "1 rule checked, 2 examples run, 0 problems"


# ------------------------------------------------------------------ YAML numbers as a person means them

@pytest.mark.parametrize("text, value", [
    ("gpu_count: 010", 10), ("gpu_count: 08", 8), ("gpu_count: -010", -10), ("gpu_count: 0", 0),
    ("gpu_count: 0x10", 16), ("gpu_count: 1_000", 1000), ("gpu_count: '010'", "010"),
    ("class_ratio: 1:20", "1:20"), ("class_ratio: 190:20:30", "190:20:30"), ("class_ratio: 1:20.5", "1:20.5"),
])
def test_yaml_leading_zeros_are_decimal_and_ratios_stay_text(text, value):
    assert list(yamlfile.load(text).values()) == [value]


def test_an_unquoted_class_ratio_in_a_rule_example_is_the_ratio(tmp_path):
    load(tmp_path, GOOD.replace('fires: [{class_ratio: "1:20"}]', "fires: [{class_ratio: 1:20}]"))
    book, _ = rulebook.load_rulebook([tmp_path / "team.yaml"])
    assert rulebook.check_examples(book.get("TST001")) == []


# ------------------------------------------------------------------ fuzzing the loader

_HOSTILE = st.sampled_from([
    "{{", "}}", "{{x" + " " * 3000, "{{class_ratio:1000000000}}", "{{class_ratio:.99f}}", "{{gpu_count GPU/GPUs}}",
    "not " * 600, "(" * 120, "9" * 4400, "1e999", "**", "__import__('os')", "maybe(", "known(lr)", "'fp61'",
    "!!python/object:os.system", "&a", "*a", "\x00", "\ud7ff", "é", "\n", "\t", ": ", "- ", "[", "]" * 40, "{", "#",
    "'", '"', "\\", "---", "0o17", "010", "1:20", ".nan", "-.inf", "~",
])
_CONDITION = st.lists(st.one_of(_HOSTILE, st.sampled_from([
    "imbalance_ratio", "lr", "gpu_count", "symptoms", "task", " and ", " or ", " not ", " < ", " >= ", " == ",
    " in ", " * ", " / ", " + ", "1", "0", "1e15", "'classification'", "[", "]", ", ", "(", ")"])), max_size=30)


def _check(errors, path):
    for error in errors:
        assert isinstance(error, RuleError)
        text = str(error)
        assert "\n" not in text and len(text) < 1000
        assert text.startswith(rulebook.display_path(path))


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(GOOD)), _HOSTILE), max_size=6), st.data())
def test_mutated_rule_files_give_only_one_line_rule_errors(tmp_path_factory, edits, data):
    text = GOOD
    for position, fragment in sorted(edits, reverse=True):
        text = text[:position] + fragment + text[position:]
    path = tmp_path_factory.mktemp("fuzz") / "team.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(errors_of(path), path)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_CONDITION.map("".join), st.sampled_from(["when", "why", "do", "title"]))
def test_hostile_conditions_and_templates_are_refused_naming_the_rule(tmp_path_factory, fragment, where):
    old = {"when": "imbalance_ratio >= 4", "why": "Ratio {{class_ratio}}.", "do": "Use {{class_weight_minority:.3g}}.",
           "title": "Weight the loss"}[where]
    text = GOOD.replace(f"{where}: {old}", f"{where}: {json.dumps(fragment + old)}")
    path = tmp_path_factory.mktemp("fuzz") / "team.yaml"
    path.write_text(text, encoding="utf-8")
    errors = errors_of(path)
    _check(errors, path)
    assert all("[TST001]" in str(e) for e in errors)
    if not errors:  # it loaded: its templates render and its condition evaluates on hostile facts
        rule = rulebook.load_rule_file(path, STRATEGIES, CAUSES)[0][0]
        for facts in ({}, {"imbalance_ratio": 1e308, "lr": 10**400, "gpu_count": 10**30, "class_ratio": "1:20",
                           "class_weight_minority": 1e308}):
            rule.condition.evaluate(facts)
            if rule.condition.evaluate(facts)[0] is True:
                templates.render(rule.why, facts)


def test_the_documented_limits_are_the_loaders():
    readme = (rulebook.builtin_dir() / "README.md").read_text(encoding="utf-8")
    assert rulebook.FILE_BYTES == 2**20 and "| a rule file | 1 MiB" in readme
    for shown in (f"{yamlfile.MAX_DEPTH} levels; a number literal {yamlfile.MAX_NUMBER_CHARS} characters",
                  f"{rulebook.CONDITION.chars:,} characters, nested {rulebook.CONDITION.depth} deep",
                  f"up to {rulebook.CONDITION.magnitude:g} in size", f"| {rulebook.TEXT_CHARS:,} characters |",
                  f"precision | {rulebook.FORMAT_PRECISION} |",
                  f"| {diagnosis.WEIGHTS[0]}..{diagnosis.WEIGHTS[-1]}, not 0 |",
                  f"N at most {rulebook.FORMAT_PRECISION}"):
        assert shown in readme, shown
