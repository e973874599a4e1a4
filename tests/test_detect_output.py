"""Detected symptoms in every output: labelled as detected, with step and evidence, in the terminal, markdown,
SARIF and GitHub renderings; the chart marks every event, also one before its first drawn point."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from advisor.detect import Finding
from advisor.logs import Analysis
from advisor.logs.chart import text_chart

LOG = Path(__file__).parent / "fixtures" / "logs" / "keras_overfit_tiny_data.csv"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    from typer.testing import CliRunner

    from advisor.cli import app

    runner = CliRunner()
    out = {}
    for fmt in ("terminal", "markdown", "sarif", "github", "json"):
        result = runner.invoke(app, ["diagnose", "--log", str(LOG), "--format", fmt], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        out[fmt] = result.output
    return out


def test_every_output_labels_the_logged_symptom_detected_with_its_step_and_evidence(outputs):
    detected = json.loads(outputs["json"])["detected"]
    assert [d["symptom"] for d in detected] == ["overfitting"]
    evidence = detected[0]["evidence"]
    assert "Detected: overfitting: detected in the log from step 2" in outputs["terminal"]
    assert "symptoms=overfitting" not in outputs["terminal"]  # the setup line shows what was declared
    assert f"- **overfitting**: detected from step 2: {evidence}" in outputs["markdown"]
    assert "symptoms=overfitting" not in outputs["markdown"]
    assert "::notice title=detected%3A overfitting::overfitting: detected in the log from step 2" in outputs["github"]
    run = json.loads(outputs["sarif"])["runs"][0]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "detected/overfitting" and evidence in note["message"]["text"]
    assert run["properties"]["detected"] == detected


def test_the_sarif_with_detected_symptoms_validates_against_the_official_schema(outputs):
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
    if not schema_file.is_file():
        pytest.skip("official SARIF schema not vendored")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(json.loads(outputs["sarif"]))


def test_the_chart_marks_every_event_also_before_the_first_drawn_point():
    curve = [(float(s), 1.0 / (1 + s)) for s in range(100, 1000, 10)]
    findings = [Finding("nan-loss", 0.0, "at the start"), Finding("loss-plateau", 500.0, "flat"),
                Finding("underfitting", 500.0, "same column"), Finding("overfitting", 990.0, "late")]
    chart = text_chart(Analysis("run.csv", "csv", 90, findings, {"loss": curve}))
    marks = chart.splitlines()[-len(findings) - 2]
    assert sorted(c for c in marks if c.strip()) == ["A", "B", "C", "D"], chart
    assert marks[11] == "A"  # step 0 is where the axis begins now, not clamped onto step 100
    assert "step 0" in chart
