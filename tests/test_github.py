"""`advisor diagnose --format github`: workflow annotations, escaped, 10 per type, summary for the rest."""


from advisor.render import github


def test_escaping_of_data_and_properties():
    assert github.escape_data("50% of\r\nrows") == "50%25 of%0D%0Arows"
    assert github.escape_data("%0A") == "%250A"  # an escape in the text is not an escape
    assert github.escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"


def _item(i, severity="high", title="Title: with, punctuation"):
    return {"rule": f"TST{i:03d}", "title": title, "severity": severity, "strategy": "x",
            "why": [{"rule": f"TST{i:03d}", "text": "line one\nline two 5%", "facts": {}}], "do": "fix it",
            "rank": i, "score": 1, "rules": [f"TST{i:03d}"], "code": {}, "source": [], "references": []}


def test_annotation_shape():
    line = github.annotation(_item(1))
    assert line.startswith("::error title=TST001 Title%3A with%2C punctuation::")
    assert line.endswith("line one%0Aline two 5%25%0ADo: fix it") and "\n" not in line


def _report(items):
    return {"setup": {}, "facts": {}, "advice": items, "dropped": [], "missing": []}


def test_ten_per_type_and_the_rest_in_the_step_summary(tmp_path):
    items = [_item(i) for i in range(1, 13)] + [_item(i, "low") for i in range(13, 16)]
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = github.render(_report(items), summary_path=str(summary))
    lines = out.splitlines()
    assert sum(l.startswith("::error ") for l in lines) == 10 and sum(l.startswith("::notice ") for l in lines) == 3
    text = summary.read_text()
    assert text.startswith("earlier step\n# Training advice")  # appended, never overwritten
    assert "TST011" in text and "TST012" in text and "2 more findings" in text


def test_without_a_summary_the_rest_are_still_listed():
    out = github.render(_report([_item(i) for i in range(1, 13)]), summary_path=None)
    assert out.count("::error ") == 10 and "not annotated" in out and "TST012" in out


def test_cli_github_format_with_summary(run_cli, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run_cli("diagnose", "--gpu-mem", "8", "--imbalance", "1:20", "--format", "github",
                           "--fail-on", "medium")
    assert code == 1
    assert all(l.startswith(("::error ", "::warning ", "::notice ")) for l in out.splitlines())
    assert "Weight the loss" in summary.read_text()
