"""The symptoms a training log showed, as every renderer labels them: detected (with step and evidence), never
declared.

The pipeline adds detected symptoms to the setup's `symptoms` so the same rules
rank the advice; a report therefore lists them twice, in `setup.symptoms` and in
`detected`. Renderers show the setup with only what the user declared, and each
detected symptom on its own line: "overfitting: detected in the log from step
120: <evidence>".
"""

from __future__ import annotations

from typing import Any


def detected(report: dict[str, Any]) -> list[dict[str, Any]]:
    return list(report.get("detected") or ())


def text(item: dict[str, Any]) -> str:
    """One detected symptom as a line of text."""
    return f"{item['symptom']}: detected in the log from step {item['step']}: {item['evidence']}"


def declared_setup(report: dict[str, Any]) -> dict[str, Any]:
    """The report's setup with the detected symptoms left out of `symptoms` (they are shown as detected)."""
    setup = report["setup"]
    found = {item["symptom"] for item in detected(report)}
    if not found or "symptoms" not in setup:
        return setup
    symptoms = setup["symptoms"]
    listed = symptoms if isinstance(symptoms, (list, tuple)) else [s.strip() for s in str(symptoms).split(",")]
    declared = [s for s in listed if s not in found]
    out = {k: v for k, v in setup.items() if k != "symptoms"}
    if declared:
        out["symptoms"] = declared if isinstance(symptoms, (list, tuple)) else ", ".join(declared)
    return out
