"""The command line as a user meets it: exit codes, one-line errors, formats, files, extra rules."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import cli
from advisor.setup import fields


def test_example_command_ranks_class_weighting_with_right_numbers(run_json):
    report = run_json("--gpu-mem", "8", "--imbalance", "1:20")
    assert report["setup"] == {"gpu_mem_gib": 8.0, "class_ratio": "1:20"}
    assert report["facts"]["class_weight_minority"] == pytest.approx(10.5)
    assert report["facts"]["class_weight_majority"] == pytest.approx(0.525)
    first = report["advice"][0]
    assert {"rank", "strategy", "rule", "title", "score", "severity", "why", "code", "source"} <= first.keys()
    weighting = next(a for a in report["advice"] if a["strategy"] == "class-weighting")
    assert "10.5" in weighting["code"]["pytorch"] and "0.525" in weighting["code"]["pytorch"]
    assert [a["rank"] for a in report["advice"]] == list(range(1, len(report["advice"]) + 1))


def test_terminal_output_shows_title_why_and_code(run_cli):
    code, out, _ = run_cli("diagnose", "--gpu-mem", "8", "--imbalance", "1:20")
    assert code == 0
    assert "Weight the loss" in out and "minority 4.76%" in out and "CrossEntropyLoss" in out


def test_markdown_report(run_cli):
    code, out, _ = run_cli("diagnose", "--imbalance", "1:20", "--format", "markdown")
    assert code == 0 and out.startswith("# Training advice") and "```python" in out


@pytest.mark.parametrize("args, field", [
    (["--gpu-mem", "-1"], "gpu_mem_gb"),
    (["--imbalance", "1:0"], "class_ratio"),
    (["--symptom", "foo"], "symptoms"),
    (["--precision", "fp61"], "precision"),
    (["--model-params", "lots"], "model_params"),
])
def test_bad_values_exit_2_with_one_line(run_cli, args, field):
    code, out, err = run_cli("diagnose", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and field in err and "Traceback" not in err


def test_unknown_flag_is_a_one_line_usage_error_with_suggestion(run_cli):
    code, _, err = run_cli("diagnose", "--gpu-memory", "8")
    assert code == 2 and err.count("\n") == 1 and "--gpu-mem" in err


@pytest.mark.parametrize("suffix, text", [
    (".yaml", "gpu_mem_gb: 8\nclass_ratio: '1:20'\nsymptoms: [oom]\n"),
    (".json", '{"gpu_mem_gb": 8, "class_ratio": "1:20", "symptoms": ["oom"]}'),
    (".toml", 'gpu_mem_gb = 8\nclass_ratio = "1:20"\nsymptoms = ["oom"]\n'),
])
def test_setup_files_in_three_formats_and_flags_override(tmp_path, run_json, suffix, text):
    path = tmp_path / f"setup{suffix}"
    path.write_text(text)
    report = run_json("--setup", path, "--gpu-mem", "24")
    assert report["setup"]["gpu_mem_gib"] == 24.0
    assert report["setup"]["class_ratio"] == "1:20"
    assert report["setup"]["symptoms"] == ["out-of-memory"]


def test_unknown_key_in_setup_file_exits_2_naming_file_and_key(tmp_path, run_cli):
    path = tmp_path / "setup.yaml"
    path.write_text("gpu_memory: 8\n")
    code, _, err = run_cli("diagnose", "--setup", path)
    assert code == 2 and "gpu_memory" in err and "setup.yaml" in err and "gpu_mem_gb" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("text", ["gpu_mem_gb: [", "- 1\n- 2\n", "gpu_mem_gb: !!python/name:os.system x\n"])
def test_broken_setup_files_exit_2(tmp_path, run_cli, text):
    path = tmp_path / "setup.yaml"
    path.write_text(text)
    code, _, err = run_cli("diagnose", "--setup", path)
    assert code == 2 and err.count("\n") == 1


def test_missing_setup_file(run_cli, tmp_path):
    code, _, err = run_cli("diagnose", "--setup", tmp_path / "nope.yaml")
    assert code == 2 and "cannot read" in err


def test_top_limits_the_list(run_json):
    report = run_json("--imbalance", "1:50", "--symptom", "overfitting", "--top", "2")
    assert len(report["advice"]) <= 2


def test_explain_lists_every_rule_with_its_conditions(run_json):
    report = run_json("--imbalance", "1:20", "--explain")
    entries = {e["rule"]: e for e in report["explain"]}
    assert entries["IMB001"]["fired"] is True
    assert entries["IMB001"]["conditions"][0] == {"test": "imbalance_ratio >= 4", "result": True,
                                                  "facts": {"imbalance_ratio": 20.0}}
    assert any(e["fired"] is None for e in entries.values())  # undecided rules are shown too


def test_explain_in_terminal(run_cli):
    code, out, _ = run_cli("diagnose", "--imbalance", "1:20", "--explain")
    assert code == 0 and "IMB001" in out and "imbalance_ratio >= 4" in out


def test_rules_list_json_and_show(run_cli):
    code, out, _ = run_cli("rules", "list", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {"id", "strategy", "severity", "sources"} <= rows[0].keys()
    assert all(isinstance(s, int) for r in rows for s in r["sources"])
    code, out, _ = run_cli("rules", "show", "imb001")
    assert code == 0 and "IMB001" in out and "class-weighting" in out
    code, _, err = run_cli("rules", "show", "IMB0001")
    assert code == 2 and "did you mean" in err


def test_rules_validate_reports_problems_with_exit_1(tmp_path, run_cli):
    from .test_rulebook import GOOD

    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    code, out, _ = run_cli("rules", "validate", good)
    assert code == 0 and "1 rule checked, 2 examples run, 0 problems" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("TST001", "TST002").replace('silent: [{class_ratio: "1:2"}]',
                                                            'silent: [{class_ratio: "1:50"}]'))
    code, out, err = run_cli("rules", "validate", bad)
    assert code == 1 and "bad.yaml" in err and "TST002" in err and "1 problem" in out


def test_extra_rules_from_flag_and_setup_file(tmp_path, run_json):
    from .test_rulebook import GOOD

    team = tmp_path / "team"
    team.mkdir()
    (team / "ours.yaml").write_text(GOOD)
    report = run_json("--imbalance", "1:20", "--rules", team)
    assert any("TST001" in a["rules"] for a in report["advice"])
    setup = tmp_path / "setup.yaml"
    setup.write_text("class_ratio: '1:20'\nrules: team\n")
    report = run_json("--setup", setup)
    assert any("TST001" in a["rules"] for a in report["advice"])


def test_bad_extra_rules_exit_2_with_file_and_rule(tmp_path, run_cli):
    from .test_rulebook import GOOD

    (tmp_path / "x.yaml").write_text(GOOD.replace("imbalance_ratio >= 4", "gpu_mem < 16"))
    code, _, err = run_cli("diagnose", "--rules", tmp_path)
    assert code == 2 and "x.yaml" in err and "TST001" in err and "gpu_mem_gib" in err


def test_facts_command_lists_derived_facts(run_cli):
    code, out, _ = run_cli("facts", "--format", "json")
    names = {row["name"] for row in json.loads(out)}
    assert code == 0 and {"imbalance_ratio", "class_weight_minority", "gpu_mem_gib"} <= names


def test_python_dash_m_and_json_path_stays_lean():
    probe = ("import sys, io, contextlib\nfrom advisor.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    main(['diagnose', '--imbalance', '1:20', '--format', 'json'])\n"
             "print(sorted(m for m in ('rich', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    result = subprocess.run([sys.executable, "-m", "advisor", "diagnose", "--imbalance", "1:20", "--format", "json"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and json.loads(result.stdout)["advice"]


_FLAG_VALUES = st.sampled_from(["-1", "0", "1:0", "x", "", "nan", "inf", "1e999", "8GB", "7B", "fp16", "--", "%"])
_FLAGS = st.sampled_from([f.cli_flag for f in fields.FIELDS if f.kind != "bool"] + ["--top", "--format", "--bogus"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.tuples(_FLAGS, _FLAG_VALUES), max_size=4))
def test_random_arguments_never_crash(capsys, pairs):
    argv = ["diagnose", "--format", "json"] + [x for pair in pairs for x in pair]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1
    else:
        json.loads(out)
