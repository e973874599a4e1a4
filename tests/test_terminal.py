"""The terminal and markdown views: code copied from them is the JSON's code, and no text is cut.

A user selects a code block's lines in the terminal and pastes them: the lines between the
block's marker lines must be exactly the snippet `--format json` gives for that framework, at
any window width, piped or on a TTY. Every other line fits the window and is wrapped, never
cropped, so every word of titles, reasons and hints is on screen.
"""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from advisor import pipeline
from advisor.rank import engine
from advisor.setup import fields
from advisor.render import cli_hint, human_count, json_format, markdown, setup_line, shown_code, sources_text
from advisor.render import terminal

from .setups import setups

BOOK = pipeline.rulebook_for()  # the session's one parse of the built-in rules (conftest `book`)
WIDTHS = (60, 80, 120)
SETUPS = {
    "oom-llama": {"gpu": "rtx3090", "model": "llama-2-7b", "symptoms": ["out-of-memory"]},
    "nan-fp16": {"gpu": "t4", "precision": "fp16", "symptoms": ["nan-loss"], "lr": 3e-3, "framework": "pytorch"},
    "imbalance": {"task": "classification", "class_ratio": "1:100", "dataset_size": "50k", "num_classes": 2,
                  "symptoms": ["minority-class-ignored"]},
    "overfitting-keras": {"model_params": "350M", "dataset_size": 2000, "symptoms": ["overfitting"],
                          "framework": "keras"},
    "slow-lightning": {"gpu": "a100-80gb", "symptoms": ["slow-training", "low-gpu-utilization"],
                       "framework": "lightning", "batch_size": 8},
    "tree-sklearn": {"model_family": "tree", "framework": "sklearn", "needs_interpretability": True,
                     "contains_pii": True, "class_ratio": "1:20"},
    "gradients": {"symptoms": ["diverging-loss", "exploding-gradients", "vanishing-gradients"],
                  "activation": "sigmoid", "depth": 50, "model_family": "rnn"},
    "empty": {},
}
_START = re.compile(r"^( *)── (\S+) ─*$")  # a code block's first marker names its framework
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def report_for(raw: dict) -> dict:
    return engine.run(BOOK, fields.normalize_setup(raw))


def rendered(report: dict, width: int, *, tty: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=tty, color_system="truecolor" if tty else None)
    terminal.show(report, console)
    return _ANSI.sub("", out.getvalue())


def split(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(framework, code) of every block as a user would copy it, and the lines outside blocks."""
    lines, blocks, prose, i = text.split("\n"), [], [], 0
    while i < len(lines):
        start = _START.match(lines[i])
        if not start:
            prose.append(lines[i])
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(start[1] + "──"))
        blocks.append((start[2], "\n".join(lines[i + 1:end]) + "\n"))
        prose += [lines[i], lines[end]]
        i = end + 1
    return blocks, prose


def expected_blocks(report: dict) -> list[tuple[str, str]]:
    """What --format json holds for the framework each item shows."""
    from_json = json.loads(json_format.render(report))
    return [shown_code(item) for item in from_json["advice"] if item["code"]]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_copies_exactly(report: dict, text: str, width: int) -> None:
    blocks, prose = split(text)
    assert blocks == expected_blocks(report)
    for framework, code in blocks:
        compile(code, f"<{framework} snippet>", "exec")
    too_long = [line for line in prose if len(line) > width]
    assert not too_long, too_long  # only code may run past the window's edge
    shown = squash("\n".join(prose))
    words = [setup_line(report["setup"])] + [cli_hint(m) for m in report["missing"]]
    for item in report["advice"]:
        words += [item["title"], item["do"], item["severity"], item["strategy"], f"score {item['score']}",
                  sources_text(item["source"]), *item["rules"], *(r["text"] for r in item["why"])]
    for dropped in report["dropped"]:
        words += [dropped["strategy"], dropped["reason"]]
    missing = [w for w in words if squash(w) not in shown]
    assert not missing, missing


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", SETUPS)
def test_code_copied_from_the_terminal_is_the_json_code(name, width):
    report = report_for(SETUPS[name])
    assert_copies_exactly(report, rendered(report, width), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_code_copies_exactly_on_a_colour_terminal_too(width):
    report = report_for(SETUPS["oom-llama"])
    text = rendered(report, width, tty=True)
    assert_copies_exactly(report, text, width)


def test_the_setups_cover_many_rules_and_frameworks():
    reports = [report_for(raw) for raw in SETUPS.values()]
    rules = {r for report in reports for item in report["advice"] for r in item["rules"]}
    frameworks = {shown_code(item)[0] for report in reports for item in report["advice"] if item["code"]}
    assert len(rules) >= 40 and {"pytorch", "keras", "sklearn"} <= frameworks
    assert {rule[:3] for rule in rules} >= {"MEM", "STB", "IMB"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups, st.sampled_from((40, 60, 80, 120, 200)))
def test_random_setups_copy_exactly_at_any_width(raw, width):
    report = report_for(raw)
    assert_copies_exactly(report, rendered(report, width), width)


@pytest.mark.parametrize("columns", ("60", "80"))
def test_cli_terminal_code_equals_cli_json_code(run_cli, monkeypatch, columns):
    """Piped output (no TTY) at the width COLUMNS gives, through the real command."""
    args = ("diagnose", "--gpu", "rtx3090", "--model", "llama-2-7b", "--symptom", "out-of-memory")
    monkeypatch.setenv("COLUMNS", columns)
    code, out, _ = run_cli(*args)
    assert code == 0
    code, as_json, _ = run_cli(*args, "--format", "json")
    report = json.loads(as_json)
    assert_copies_exactly(report, out, int(columns))
    assert "6.74B" in out  # numbers as people read them; the JSON keeps the exact count
    assert report["setup"]["model_params"] == 6738415616


def _one_item(code: dict[str, str], title: str = "Do it") -> dict:
    return {"setup": {}, "facts": {}, "dropped": [], "missing": [], "advice": [{
        "rank": 1, "strategy": "s", "rule": "TST001", "rules": ["TST001"], "title": title, "score": 1,
        "severity": "low", "why": [{"rule": "TST001", "text": "because", "facts": {}}], "do": "this",
        "code": code, "source": [], "references": []}]}


@pytest.mark.parametrize("tty", (False, True))
def test_tabs_trailing_spaces_and_markup_in_code_are_kept(tty):
    code = "if x:\n\tprint('[bold]x[/]')  \n    y = {'a': 1}\n\n# " + "z" * 150 + "\n"
    report = _one_item({"pytorch": code})
    blocks, _ = split(rendered(report, 40, tty=tty))
    assert blocks == [("pytorch", code)]


def test_a_long_title_wraps_whole_and_other_frameworks_are_named():
    title = "A title of many words " * 8 + "ending-in-a-very-long-unbreakable-identifier-" * 3
    report = _one_item({"pytorch": "x = 1\n", "keras": "y = 2\n"}, title=title)
    text = rendered(report, 40)
    assert squash(title) in squash(text)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert "keras" in text.split("x = 1", 1)[1]  # named after the block, with the flag that shows it


@pytest.mark.parametrize("value, shown", [
    (512, "512"), (9999, "9999"), (50_000, "50k"), (999_499, "999k"), (999_600, "1M"), (1_200_000, "1.2M"),
    (6_738_415_616, "6.74B"), (10**12, "1T")])
def test_counts_read_as_people_write_them(value, shown):
    assert human_count(value) == shown


def test_setup_line_is_readable():
    line = setup_line(fields.normalize_setup({"model_params": 6738415616, "dataset_size": 50000,
                                              "pretrained": True, "symptoms": ["nan-loss", "overfitting"]}))
    assert "model_params=6.74B" in line and "dataset_size=50k" in line and "pretrained=yes" in line
    assert "symptoms=nan-loss, overfitting" in line


def test_hints_give_the_flag_and_the_setup_key():
    report = report_for({"symptoms": ["out-of-memory"]})
    text = rendered(report, 80)
    for missing in report["missing"]:
        assert squash(f"{missing['flag']} / {missing['field']}:") in squash(text)
        assert squash(missing["rules"][0]) in squash(text)


def test_json_is_valid_even_for_a_number_that_is_not_finite():
    report = {"setup": {"lr": math.inf}, "facts": {"ratio": math.nan, "ok": [1.5, -math.inf]}}
    text = json_format.render(report)
    parsed = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert parsed == {"setup": {"lr": None}, "facts": {"ratio": None, "ok": [1.5, None]}}


def test_markdown_code_blocks_are_the_json_code_even_with_backticks():
    code = "s = '```'\nprint(s)\n"
    text = markdown.render(_one_item({"pytorch": code}))
    fence = re.search(r"^(`{3,})python", text, re.M)[1]
    assert len(fence) > 3
    body = text.split(fence + "python", 1)[1].split("\n", 1)[1].split("\n" + fence + "\n", 1)[0]
    assert body + "\n" == code


def test_markdown_hints_give_flag_and_key():
    report = report_for({"symptoms": ["out-of-memory"]})
    text = markdown.render(report)
    first = report["missing"][0]
    assert f"`{first['flag']}` / `{first['field']}:`" in text
