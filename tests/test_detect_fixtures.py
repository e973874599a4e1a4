"""The oscillating, underfitting and low-utilisation detectors on logs REAL tiny trainings wrote
(tests/fixtures/generators/make_detector_fixtures.py): each finds its fault and nothing else (but what its
numbers show beside it, its `also`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.logs import analyze

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
EXPECTED = json.loads((FIXTURES / "expected_detect.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_training_fixture_shows_its_fault_and_no_other(name):
    found = {f.symptom for f in analyze(FIXTURES / name).findings}
    expect, also = set(EXPECTED[name]["expect"]), set(EXPECTED[name].get("also", []))
    assert expect <= found <= expect | also, f"{name} ({EXPECTED[name]['fault']}): {sorted(found)}"


def test_the_fixtures_cover_the_three_detectors_issue_14_names():
    faults = {s for entry in EXPECTED.values() for s in entry["expect"]}
    assert {"oscillating-loss", "underfitting", "low-gpu-utilization"} <= faults
