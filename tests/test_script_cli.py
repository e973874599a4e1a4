"""`advisor check FILE...`: the formats, --fail-on, and bad input as one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from advisor.script import read_script

SCRIPTS = Path(__file__).parent / "fixtures" / "scripts"
BUGGY = SCRIPTS / "buggy" / "pytorch_mnist_bugs.py"
CLEAN = SCRIPTS / "clean" / "keras_mnist_convnet.py"


def test_terminal_output_locates_each_finding_with_why_fix_and_snippet(run_cli):
    code, out, err = run_cli("check", BUGGY)
    assert code == 0 and err == ""
    assert f"{BUGGY}:44: high CODE003 Gradients are never zeroed in the training loop" in out
    assert "why: The loop backpropagates (`loss.backward()`)" in out
    assert "fix: Call `optimizer.zero_grad()`" in out and "corrected:\n      for data, target in train_loader:" in out
    assert "read from the code: framework=pytorch" in out
    assert out.rstrip().endswith("(4 high, 1 medium, 1 low)")


def test_json_holds_findings_and_the_normalised_setup(run_cli):
    code, out, _ = run_cli("check", BUGGY, "--format", "json")
    report = json.loads(out)
    assert code == 0 and set(report) == {"findings", "setup", "facts"}
    first = report["findings"][0]
    assert {"rule", "path", "line", "severity", "title", "why", "fix", "snippet", "cause"} <= set(first)
    wanted = {"framework": "pytorch", "optimizer": "other", "lr": 1.0, "batch_size": 64}
    assert {k: report["setup"].get(k) for k in wanted} == wanted
    optimizer_line = next(n for n, line in enumerate(BUGGY.read_text().splitlines(), 1) if "optim.Adadelta(" in line)
    assert report["facts"]["lr"] == {"value": 1.0, "path": str(BUGGY), "line": optimizer_line}


def test_read_script_matches_the_json(run_cli):
    setup, findings = read_script([BUGGY])
    _, out, _ = run_cli("check", BUGGY, "--format", "json")
    report = json.loads(out)
    assert sorted((f["rule"], f["line"]) for f in findings) == sorted((f["rule"], f["line"]) for f in report["findings"])
    assert setup["lr"] == report["setup"]["lr"]
    assert {f["cause"] for f in findings} == {"training-code-bug", "activation-memory", "data-bug"}


def test_sarif_puts_each_result_on_its_file_and_line(run_cli):
    code, out, _ = run_cli("check", BUGGY, "--format", "sarif")
    log = json.loads(out)
    run = log["runs"][0]
    assert code == 0 and log["version"] == "2.1.0"
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert ("CODE003", 44) in located
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_github_annotations_name_file_and_line(run_cli):
    code, out, _ = run_cli("check", BUGGY, "--format", "github")
    assert code == 0
    assert f"::error file={BUGGY},line=44,title=CODE003 Gradients are never zeroed in the training loop::" in out
    assert out.count("\n") == 6


def test_fail_on(run_cli):
    code, _, err = run_cli("check", BUGGY, "--fail-on", "high")
    assert code == 1 and "4 findings at or above severity high" in err
    assert run_cli("check", CLEAN, "--fail-on", "low")[0] == 0
    assert run_cli("check", BUGGY, "--fail-on", "high", "--exit-zero")[0] == 0


def test_not_python_is_one_line_and_exit_2(run_cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not python: (\n")
    code, out, err = run_cli("check", notes)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "not Python source (line 1:" in err and "notes.txt" in err
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"\x80\x02\x8a\n\xff\xfe")
    code, _, err = run_cli("check", binary)
    assert code == 2 and "not UTF-8" in err and err.count("\n") == 1
    code, _, err = run_cli("check", tmp_path / "missing.py")
    assert code == 2 and err.count("\n") == 1


def test_code_that_loops_on_itself_is_read_to_a_bound(run_cli, tmp_path):
    """Functions calling each other, a dict updated with itself, a name assigned from itself."""
    path = tmp_path / "train.py"
    path.write_text("import torch\ndef evaluate(model, loader):\n    for x in loader:\n        out = model(x)\n"
                    "        again()\ndef again():\n    evaluate(model, val_loader)\n"
                    "kw = {}\nkw.update(kw)\nfrom torch.utils.data import DataLoader\ntrain = DataLoader(train, **kw)\n"
                    "model = model.to(model)\n")
    code, out, err = run_cli("check", path, "--format", "json")
    assert code == 0, err
    assert {f["rule"] for f in json.loads(out)["findings"]} <= {"CODE001", "CODE002", "CODE013"}


_PIECES = st.sampled_from([
    "import torch\n", "import torch.nn as nn\n", "from torch.utils.data import DataLoader\n", "model = Net()\n",
    "for x, y in loader:\n", "    loss = criterion(model(x), y)\n", "    loss.backward()\n", "    optimizer.step()\n",
    "def test(model, loader):\n", "    with torch.no_grad():\n", "        out = model(x)\n", "total += loss\n",
    "criterion = nn.CrossEntropyLoss()\n", "x = torch.softmax(x, 1)\n", "loader = DataLoader(train, **kw)\n",
    "kw.update(a)\n", "model = model.to(model)\n", "a = b = a\n", "class Net(nn.Module):\n", "    def forward(self, x):\n",
    "        return self(x)\n", "model.fc = nn.Linear(1, 2)\n", "optimizer = torch.optim.SGD(model.parameters())\n",
    "model = get_peft_model(model)\n", "kw.update(kw)\n", "kw = {'shuffle': kw}\n", "    again()\n",
    "def again():\n", "    evaluate(model, loader)\n", "if args.x:\n", "    pass\n", "(((\n", "\x00", "é = 1\n", "\t\n",
])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PIECES, max_size=14), st.text(max_size=40))
def test_random_or_garbled_source_never_crashes(run_cli, tmp_path_factory, pieces, noise):
    path = tmp_path_factory.mktemp("garbled") / "train.py"
    path.write_text("".join(pieces) + noise, encoding="utf-8", errors="surrogatepass")
    code, _, err = run_cli("check", path, "--format", "json", "--fail-on", "high")
    assert code in (0, 1, 2), err
    if code == 2:
        assert err.count("\n") == 1
