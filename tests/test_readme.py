"""README.md's examples run as written, and the output it shows is what they print now.

scripts/readme.py runs every code block of the README (console commands through the installed
`advisor`, Python examples in a fresh interpreter, the files and the GitHub workflow it shows) and
rewrites the shown output; these tests fail when the README is stale, naming that command.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("readme_script", ROOT / "scripts" / "readme.py")
readme = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)  # dataclasses look their module up
_spec.loader.exec_module(readme)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return readme.run(readme.README.read_text(encoding="utf-8"), tmp_path_factory.mktemp("readme"))


def _step(run, command: str):
    found = [s for s in run.steps if s.command == command]
    assert found, f"README.md no longer runs `{command}`: {[s.command for s in run.steps]}"
    return found[0]


def test_the_readme_shows_what_its_examples_print_now(run):
    difference = readme.stale(readme.README.read_text(encoding="utf-8"), run.text)
    assert not difference, difference


def test_every_kind_of_example_ran(run):
    kinds = {s.kind for s in run.steps}
    assert kinds == {"console", "python", "workflow"}, kinds


def test_the_workflow_step_that_checks_the_config_passes_on_the_filled_config(run):
    """The README fills configs/train.yaml in place before showing the workflow that checks it."""
    step = _step(run, "advisor fill configs/train.yaml --check --diff")
    assert step.code == 0 and "+++" not in step.output, step.output


def test_the_workflow_fails_the_job_exactly_when_a_high_severity_item_fires(run):
    step = _step(run, "advisor diagnose --format github --fail-on high")
    code, output = run.sandbox.shell("advisor diagnose --format json 2>/dev/null")
    severities = {item["severity"] for item in json.loads(output)["advice"]}
    assert step.code == (1 if "high" in severities else 0), step.output


def test_the_workflow_writes_a_sarif_file_for_code_scanning(run):
    step = _step(run, "advisor diagnose --format sarif --exit-zero > advisor.sarif")
    sarif = json.loads((run.sandbox.work / "advisor.sarif").read_text())
    assert step.code == 0 and sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert run.workflow["jobs"]["advisor"]["steps"][-1]["with"]["sarif_file"] == "advisor.sarif"


def test_ci_runs_every_install_command_of_the_readme_as_written():
    commands = readme.commands(readme.README.read_text(encoding="utf-8"))
    ci = (ROOT / ".ci" / "run").read_text()
    assert set(re.findall(r"^readme_command (\w+)$", ci, re.M)) == set(commands) == {"setup", "test", "core"}
    assert 'command=$(python3 scripts/readme.py command "$1")' in ci
    assert commands["core"].endswith('python -m pytest -m "not heavy"') and "'.[dev]'" in commands["core"]


# ---- the mechanism itself, on small READMEs -------------------------------------------------------

def _run(tmp_path: Path, text: str):
    root = tmp_path / "run"
    root.mkdir(parents=True)
    return readme.run(text, root)


def test_stale_output_is_rewritten_and_reported_with_the_command_that_refreshes_it(tmp_path):
    text = "Try it:\n\n```console\n$ advisor diagnose --imbalance 1:0\nan old message\n```\n"
    fresh = _run(tmp_path, text).text
    assert "an old message" not in fresh and "advisor: error: class_ratio" in fresh
    assert fresh.startswith("Try it:\n\n```console\n$ advisor diagnose --imbalance 1:0\n")
    report = readme.stale(text, fresh)
    assert readme.REGENERATE in report and "-an old message" in report
    assert readme.stale(fresh, _run(tmp_path / "again", fresh).text) == ""  # a fresh README is not stale


def test_a_python_example_runs_after_its_preamble_and_its_output_block_is_filled(tmp_path):
    text = ("<!-- preamble: stands for the reader's data\nwords = ['a', 'b']\n-->\n"
            "```python\nprint(len(words))\n```\n\n<!-- output -->\n```text\n```\n")
    assert _run(tmp_path, text).text.endswith("<!-- output -->\n```text\n2\n```\n")


def test_a_failing_python_example_is_an_error_naming_its_line(tmp_path):
    with pytest.raises(readme.ReadmeError, match=r"README.md:2: .*exits 1"):
        _run(tmp_path, "\n```python\nraise SystemExit(1)\n```\n")


@pytest.mark.parametrize("text, problem", [
    ("```bash\nls\n```\n", "nothing runs this ```bash block"),
    ("Run:\n\n    advisor diagnose\n", "indented code block"),
    ("<!-- output -->\n```text\nstale\n```\n", "follows no Python example"),
    ("```console\nadvisor diagnose\n```\n", "starts with a `$ ` command line"),
    ("```python\nprint(1)\n", "never closed"),
])
def test_an_example_nothing_runs_is_refused(tmp_path, text, problem):
    with pytest.raises(readme.ReadmeError, match=re.escape(problem)):
        _run(tmp_path, text)


def test_a_yaml_file_block_is_written_where_it_says(tmp_path):
    text = "```yaml\n# configs/setup.yaml: the team's setup\ngpu: t4\n```\n\n```console\n$ cat configs/setup.yaml\n```\n"
    assert "$ cat configs/setup.yaml\n# configs/setup.yaml: the team's setup\ngpu: t4\n```" in _run(tmp_path, text).text
