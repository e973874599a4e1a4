"""`advisor diagnose --format sarif`: a SARIF 2.1.0 log with a rules table from the rule files."""

import json
import re
from pathlib import Path

import pytest

from advisor.rulebook import loader as rulebook

SETUP = ["--gpu-mem", "8", "--imbalance", "1:20", "--symptom", "nan-loss", "--precision", "fp16"]
OFFICIAL_SCHEMA = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture
def sarif(run_cli):
    def run(*args):
        code, out, err = run_cli("diagnose", *SETUP, "--format", "sarif", *args)
        assert code == 0, err
        return json.loads(out)
    return run


def test_rules_table_is_every_rule_with_its_permanent_id(sarif):
    log = sarif()
    book, _ = rulebook.load_rulebook()
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in book.rules]
    assert all(re.fullmatch(r"[A-Z]{2,5}[0-9]{3}", r["id"]) for r in rules)
    assert all("{{" not in r["shortDescription"]["text"] + r["help"]["text"] for r in rules)
    assert {r["defaultConfiguration"]["level"] for r in rules} <= {"error", "warning", "note"}


def test_results_point_into_the_rules_table_and_the_setup_file(sarif, tmp_path, monkeypatch, run_cli):
    (tmp_path / "advisor.yaml").write_text("# team setup\ngpu_mem_gb: 8\nclass_ratio: '1:20'\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("diagnose", "--format", "sarif")
    log = json.loads(out)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and run["results"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "advisor.yaml" and location["region"]["startLine"] >= 1
    weighting = next(r for r in run["results"] if r["properties"]["strategy"] == "class-weighting")
    assert weighting["locations"][0]["physicalLocation"]["region"]["startLine"] == 3  # the class_ratio line


def test_sarif_matches_the_json_report(sarif, run_json):
    report = run_json(*SETUP)
    results = sarif()["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [a["rule"] for a in report["advice"]]


def test_fail_on_and_exit_zero(run_cli):
    assert run_cli("diagnose", *SETUP, "--format", "sarif", "--fail-on", "high")[0] == 1
    assert run_cli("diagnose", *SETUP, "--format", "sarif", "--fail-on", "high", "--exit-zero")[0] == 0
    assert run_cli("diagnose", "--imbalance", "1:2", "--format", "json", "--fail-on", "high")[0] == 0
    assert run_cli("diagnose", *SETUP, "--format", "json", "--fail-on", "high", "--top", "1")[0] == 1
    code, _, err = run_cli("diagnose", *SETUP, "--fail-on", "severe")
    assert code == 2 and "--fail-on" in err


def test_validates_against_the_official_schema(sarif):
    jsonschema = pytest.importorskip("jsonschema")
    if not OFFICIAL_SCHEMA.is_file():
        pytest.skip(f"official SARIF 2.1.0 schema not vendored at {OFFICIAL_SCHEMA}")
    schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(sarif())
