"""Loading rules checks them: each kind of mistake fails at load time with file, line and rule id."""

import os
import textwrap
from pathlib import Path

import pytest

from advisor.rulebook import loader as rulebook
from advisor.errors import RuleError

GOOD = """\
rules:
  - id: TST001
    title: Weight the loss
    strategy: class-weighting
    severity: high
    cost: low
    when: imbalance_ratio >= 4
    why: Ratio {{class_ratio}}.
    do: Use {{class_weight_minority:.3g}}.
    code:
      pytorch: |
        weights = [{{class_weight_majority:.3g}}, {{class_weight_minority:.3g}}]
    sources: [12]
    examples:
      fires: [{class_ratio: "1:20"}]
      silent: [{class_ratio: "1:2"}]
"""


def load(tmp_path: Path, text: str, name: str = "team.yaml") -> list[RuleError]:
    path = tmp_path / name
    path.write_text(text)
    _, errors = rulebook.load_rulebook([path], collect=True)
    return errors


def test_a_good_rule_loads_and_its_examples_pass(tmp_path):
    assert load(tmp_path, GOOD) == []
    book, _ = rulebook.load_rulebook([tmp_path / "team.yaml"])
    assert rulebook.check_examples(book.get("TST001")) == []


BAD = {
    "unknown fact": (("imbalance_ratio >= 4", "imbalance >= 4"), "unknown fact 'imbalance'"),
    "wrong type": (("imbalance_ratio >= 4", "symptoms > 3"), "cannot compare set with number"),
    "unknown strategy": (("class-weighting", "class-weights"), "unknown strategy 'class-weights'; did you mean"),
    "bad severity": (("severity: high", "severity: critical"), "severity must be one of"),
    "cost type": (("cost: low", "cost: [low]"), "'cost' must be low, medium or high"),
    "bad cost": (("cost: low", "cost: cheap"), "cost must be one of low, medium, high"),
    "replaced priority": (("cost: low", "priority: 30"), "'priority' is no longer part of the rule format"),
    "replaced boost": (("    why:", "    boost:\n      - when: imbalance_ratio >= 20\n        add: 5\n    why:"),
                       "'boost' is no longer part of the rule format: a boost became `evidence"),
    "missing key": (("    why: Ratio {{class_ratio}}.\n", ""), "missing 'why'"),
    "unknown key": (("    sources: [12]", "    sources: [12]\n    sauces: [1]"), "unknown key 'sauces'"),
    "bad id": (("TST001", "tst-1"), "id 'tst-1' must be"),
    "bad section": (("sources: [12]", "sources: [21]"), "section numbers 1..20"),
    "template fact": (("{{class_ratio}}", "{{class_ration}}"), "unknown fact 'class_ration'"),
    "template may be unknown": (("{{class_ratio}}", "{{lr}}"), "{{lr}} may be unknown when the rule fires"),
    "template spec": (("{{class_weight_minority:.3g}}", "{{class_weight_minority:d}}"), "format 'd' of class_weight_minority is not accepted"),
    "malformed template": (("{{class_ratio}}", "{{class_ratio"), "malformed placeholder"),
    "unknown framework": (("pytorch: |", "pytorch2: |"), "unknown framework 'pytorch2'"),
    "example not a map": (('fires: [{class_ratio: "1:20"}]', 'fires: ["1:20"]'), "at least one 'fires' setup"),
    "no silent example": (('      silent: [{class_ratio: "1:2"}]\n', ""), "at least one 'silent'"),
    "python tag": (("title: Weight the loss", "title: !!python/object/apply:os.system [ls]"), "YAML tags are not allowed"),
    "evidence type": (("    why:", "    evidence: {when: imbalance_ratio >= 10}\n    why:"),
                      "'evidence' must be a list of {when, weight, says}"),
    "contra type": (("    why:", "    contra: demote\n    why:"), "'contra' must be a list of {when, says, effect"),
    "treats type": (("    why:", "    treats: [class-imbalance]\n    why:"), "'treats' must be a map of cause id"),
    "custom tag": (("cost: low", "cost: !str low"), "YAML tags are not allowed"),
    "alias": (("    title: Weight the loss", "    title: &t Weight the loss\n    do2: *t"), "anchors and aliases"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_mistake_fails_at_load_time_with_file_and_rule(tmp_path, case):
    (old, new), message = BAD[case]
    assert old in GOOD
    errors = load(tmp_path, GOOD.replace(old, new, 1))
    assert errors, f"{case}: loaded without error"
    text = str(errors[0])
    assert message in text
    assert "team.yaml:" in text  # file and line
    if case not in ("python tag", "custom tag", "alias", "bad id"):
        assert "[TST001]" in text


def test_duplicate_ids_across_files_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    _, errors = rulebook.load_rulebook([tmp_path], collect=True)
    assert any("duplicate id" in str(e) and "a.yaml" in str(e) and "b.yaml" in str(e) for e in errors)


def test_a_team_rule_cannot_reuse_a_builtin_id(tmp_path):
    builtin = rulebook.load_rulebook()[0].rules[0].id
    errors = load(tmp_path, GOOD.replace("TST001", builtin))
    assert any("duplicate id" in str(e) for e in errors)


def test_failing_example_is_reported(tmp_path):
    load(tmp_path, GOOD.replace('silent: [{class_ratio: "1:2"}]', 'silent: [{class_ratio: "1:30"}]'))
    book, _ = rulebook.load_rulebook([tmp_path / "team.yaml"])
    problems = rulebook.check_examples(book.get("TST001"))
    assert problems and "example silent: fires" in str(problems[0])


def test_an_example_that_is_not_a_valid_setup_is_reported(tmp_path):
    load(tmp_path, GOOD.replace('fires: [{class_ratio: "1:20"}]', 'fires: [{class_ratio: "1:0"}]'))
    book, _ = rulebook.load_rulebook([tmp_path / "team.yaml"])
    problems = rulebook.check_examples(book.get("TST001"))
    assert "examples.fires: class_ratio" in str(problems[0]) and "team.yaml" in str(problems[0])


def test_load_raises_first_error_unless_collecting(tmp_path):
    (tmp_path / "bad.yaml").write_text(GOOD.replace("class-weighting", "nope"))
    with pytest.raises(RuleError, match="unknown strategy"):
        rulebook.load_rulebook([tmp_path / "bad.yaml"])


def test_not_a_rules_file(tmp_path):
    errors = load(tmp_path, textwrap.dedent("""\
        - id: X
        """))
    assert "top-level 'rules:'" in str(errors[0])


def test_parsed_rule_files_are_cached_and_a_changed_file_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    assert load(tmp_path, GOOD) == []
    assert any("TST001" in p.read_text() for p in (tmp_path / "cache").glob("*.json"))
    assert load(tmp_path, GOOD) == []  # from the cache
    errors = load(tmp_path, GOOD.replace("cost: low", "cost: medium\n    sauce: 1"))
    assert "unknown key 'sauce'" in str(errors[0])
    for cached in (tmp_path / "cache").glob("*.json"):
        cached.write_text("{not json")
    assert "unknown key 'sauce'" in str(load(tmp_path, GOOD.replace("cost: low", "cost: medium\n    sauce: 1"))[0])


def test_an_unwritable_cache_does_not_stop_loading(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker / "cache"))
    assert load(tmp_path, GOOD) == []


def test_a_rule_file_named_in_bytes_that_are_no_utf8_loads_uncached(tmp_path, run_cli):
    # its name is in both caches' keys, which are written as UTF-8 text: not cached, but read all the same
    path = tmp_path / os.fsdecode(b"\xff-team.yaml")
    path.write_text(GOOD)
    for _ in range(2):  # the second run finds no cache either, and gives the same advice
        code, out, err = run_cli("diagnose", "--rules", path, "--imbalance", "1:20", "--format", "json")
        assert code == 0 and "TST001" in out, err


def test_explain_shows_the_condition_as_a_tree_then_the_cause_and_each_piece_of_evidence(tmp_path):
    from rich.console import Console

    from advisor.rank import engine
    from advisor.render import explain
    from advisor.setup import fields

    text = GOOD.replace("when: imbalance_ratio >= 4", "when: imbalance_ratio >= 4 and not imbalance_ratio < 4").replace(
        "    why:", "    evidence:\n"
                   "      - when: imbalance_ratio >= 10\n        weight: 2\n        says: ratio {{imbalance_ratio:.0f}} is far past 4\n"
                   "      - when: imbalance_ratio >= 50\n        weight: 3\n"
                   "    contra:\n"
                   "      - when: imbalance_ratio >= 15\n        says: weights were tried\n        effect: demote\n"
                   "      - when: imbalance_ratio >= 90\n        says: hopeless\n        effect: drop\n    why:")
    assert load(tmp_path, text) == []
    book, _ = rulebook.load_rulebook([tmp_path / "team.yaml"])
    report = engine.run(book, fields.normalize_setup({"class_ratio": "1:20"}), explain=True)
    entry = next(e for e in report["explain"] if e["rule"] == "TST001")
    assert entry["fired"] is True and entry["when"]["op"] == "and"
    assert entry["when"]["parts"][1]["op"] == "not" and entry["when"]["parts"][1]["result"] is True
    own = [(e["text"], e["weight"]) for e in entry["evidence"] if e["text"] in ("ratio 20 is far past 4",
                                                                                  "weights were tried", "hopeless")]
    assert own == [("ratio 20 is far past 4", 2), ("weights were tried", -engine.DEMOTION)]  # what held, nothing else
    assert not any("imbalance_ratio >= 50" in e["text"] for e in entry["evidence"])
    assert entry["tier"] == 0 and entry["cause"] in {c["id"] for c in report["causes"]}  # the skewed classes' cause
    item = next(a for a in report["advice"] if "TST001" in a["rules"])  # merged with the built-in class weighting
    assert item["score"] >= entry["score"]
    console = Console(width=200, record=True, color_system=None)
    explain.show([entry], console)
    lines = console.export_text().splitlines()
    assert "    when ✓ all of" in lines
    assert "        ✓ not" in lines and any(line.startswith("            ✗ imbalance_ratio < 4") for line in lines)
    assert f"    cause {entry['cause']}, addresses a present problem: score {entry['score']}" in lines
    assert "        for +2: ratio 20 is far past 4" in lines
    assert f"        against -{engine.DEMOTION}: weights were tried" in lines
    assert not any("hopeless" in line or "boost" in line for line in lines)


# ------------------------------------------------------------------ layout of the built-in rules

@pytest.fixture
def builtin_copy(tmp_path, monkeypatch):
    """A copy of the built-in rules that the loader takes for the built-ins."""
    import shutil

    copy = tmp_path / "rules"
    shutil.copytree(rulebook.builtin_dir(), copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(rulebook, "builtin_dir", lambda: copy)
    return copy


def test_the_builtin_rules_are_one_to_a_file_in_their_topic_folder():
    base = rulebook.builtin_dir()
    for rule in rulebook.load_rulebook()[0].rules:
        path = Path(rule.file).resolve().relative_to(base.resolve())
        assert path == Path(rulebook.TOPICS[rule.id.rstrip("0123456789")], f"{rule.id}.yaml"), rule.id


@pytest.mark.parametrize("move", [("memory/MEM001.yaml", "stability/MEM001.yaml"),
                                  ("memory/MEM001.yaml", "memory/MEM099.yaml"),
                                  ("memory/MEM001.yaml", "MEM001.yaml")])
def test_a_builtin_rule_in_the_wrong_place_is_a_load_error_naming_file_and_id(builtin_copy, move):
    old, new = move
    (builtin_copy / old).rename(builtin_copy / new)
    _, errors = rulebook.load_rulebook(collect=True)
    assert [(e.rule, Path(e.file).name, "belongs in memory/MEM001.yaml" in e.message) for e in errors] \
        == [("MEM001", Path(new).name, True)]


def test_a_builtin_file_with_two_rules_or_an_unknown_prefix_is_refused(builtin_copy):
    second = (builtin_copy / "memory" / "MEM002.yaml").read_text().removeprefix("rules:\n")
    (builtin_copy / "memory" / "MEM002.yaml").unlink()
    with open(builtin_copy / "memory" / "MEM001.yaml", "a") as f:
        f.write(second)
    (builtin_copy / "memory" / "ZZZ001.yaml").write_text(GOOD.replace("TST001", "ZZZ001"))
    _, errors = rulebook.load_rulebook(collect=True)
    messages = sorted(str(e) for e in errors)
    assert len(messages) == 2
    assert "MEM001.yaml" in messages[0] and "exactly one rule, not 2" in messages[0]
    assert "ZZZ001.yaml" in messages[1] and "prefix 'ZZZ' has no topic folder" in messages[1]


def test_a_team_folder_is_read_flat_or_nested_and_skips_hidden_folders(tmp_path):
    team = tmp_path / "team-rules"
    (team / "vision" / "detection").mkdir(parents=True)
    (team / ".github" / "workflows").mkdir(parents=True)
    (team / "top.yaml").write_text(GOOD)
    (team / "vision" / "detection" / "deep.yml").write_text(GOOD.replace("TST001", "TST002"))
    (team / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    book, errors = rulebook.load_rulebook([team], collect=True)
    assert errors == [] and book.get("TST001") and book.get("TST002").file.endswith("deep.yml")
    checked, problems = rulebook.validate([team])
    assert sorted(r.id for r in checked) == ["TST001", "TST002"] and problems == []


def test_the_worked_ranking_example_of_the_rules_guide_holds():
    """rules/README.md, "Ranking": the numbers of its worked example are the engine's."""
    from advisor import pipeline

    setup = {"gpu": "t4", "precision": "fp16", "model": "bert-base", "lr": 3e-5, "symptoms": ["nan-loss"]}
    report = pipeline.advise(setup).report
    causes = {c["id"]: c["score"] for c in report["causes"]}
    assert (causes["fp16-overflow"], causes["data-bug"], causes["unbounded-gradients"], causes["lr-too-high"]) \
        == (6, 2, 2, 1)
    first, second, third = report["advice"][:3]
    assert (first["rule"], first["score"]) == ("STB022", 9)
    assert {second["strategy"], third["strategy"]} == {"check-data-pipeline", "gradient-clipping"}
    assert second["score"] == third["score"] == 4
    faster = pipeline.advise({**setup, "lr": 1e-3}).report
    assert [(a["rule"], a["score"]) for a in faster["advice"][:2]] == [("STB007", 9), ("STB022", 9)]
    assert {c["id"]: c["score"] for c in faster["causes"]}["lr-too-high"] == 7


# ------------------------------------------------------------------ strategy scopes

def test_a_scoped_strategy_keeps_its_rules_silent_outside_its_scope():
    from advisor import pipeline

    neural = {"symptoms": ["nan-loss"], "precision": "fp16"}
    fired = {i["strategy"] for i in pipeline.advise(neural).report["advice"]}
    assert {"safer-precision", "gradient-clipping"} <= fired
    for outside in ({"framework": "sklearn"}, {"model_family": "tree"}):
        strategies = {i["strategy"] for i in pipeline.advise({**neural, **outside}).report["advice"]}
        assert not strategies & {"safer-precision", "gradient-clipping", "mixed-precision"}, outside
        assert "check-data-pipeline" in strategies  # an unscoped fix still applies there


def test_an_unknown_scope_or_a_bad_scope_condition_names_the_strategy(builtin_copy):
    catalog = builtin_copy / rulebook.STRATEGY_FILE
    text = catalog.read_text()
    catalog.write_text(text.replace("scopes:\n", "scopes:\n  broken: \"framework === 'x'\"\n", 1)
                       .replace("    scope: neural\n", "    scope: nerual\n", 1))
    _, errors = rulebook.load_rulebook(collect=True)
    messages = [str(e) for e in errors]
    assert any("broken" in m and "syntax error" in m for m in messages), messages
    assert any("unknown scope 'nerual'" in m for m in messages), messages
