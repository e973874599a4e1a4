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


def test_ten_per_type_and_the_rest_in_the_step_summary():
    report = _report([_item(i) for i in range(1, 13)] + [_item(i, "low") for i in range(13, 16)])
    lines = github.render(report, summarized=True).splitlines()
    assert sum(l.startswith("::error ") for l in lines) == 10 and sum(l.startswith("::notice ") for l in lines) == 3
    assert len(lines) == 13  # the two errors beyond ten are left to the summary
    text = github.summary(report)
    assert text.startswith("# Training advice")
    assert "TST011" in text and "TST012" in text and "2 more findings" in text


def test_without_a_summary_the_rest_are_still_listed():
    out = github.render(_report([_item(i) for i in range(1, 13)]))
    assert out.count("::error ") == 10 and "not annotated" in out and "TST012" in out


def test_the_renderer_writes_no_file_of_its_own(tmp_path, monkeypatch):
    # the job summary is the command's to append to; rendering reads neither files nor the environment
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = github.render(_report([_item(i) for i in range(1, 13)]))
    assert "TST012" in out and not summary.exists()


def test_cli_github_format_with_summary(run_cli, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run_cli("diagnose", "--gpu-mem", "8", "--imbalance", "1:20", "--format", "github",
                           "--fail-on", "medium")
    assert code == 1
    assert all(l.startswith(("::error ", "::warning ", "::notice ")) for l in out.splitlines())
    assert "Weight the loss" in summary.read_text()


def test_cli_appends_to_the_step_summary(run_cli, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for _ in range(2):
        code, _, _ = run_cli("diagnose", "--gpu-mem", "8", "--imbalance", "1:20", "--format", "github")
        assert code == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n# Training advice") and text.count("# Training advice") == 2


def test_an_unwritable_step_summary_is_one_error(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    code, out, err = run_cli("diagnose", "--gpu-mem", "8", "--format", "github")
    assert code == 2 and out == ""
    assert "GITHUB_STEP_SUMMARY" in err and "no such file" in err and "Traceback" not in err
