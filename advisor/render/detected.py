"""What a training log contributed, as every renderer labels it: symptoms detected (with step and evidence) and
setup values read from the log (with where in the log), never shown as declared by the user.

The pipeline adds detected symptoms to the setup's `symptoms` so the same rules
rank the advice; a report therefore lists them twice, in `setup.symptoms` and in
`detected`. Renderers show the setup with only what the user declared, and each
detected symptom on its own line: "overfitting: detected in the log from step
120: <evidence>". Values taken from the log (`log.values`) are left out of the setup
line too and shown as "From the log: lr 0.003 (the highest learning rate the log
holds, step 40)", beside what the reader noted.
"""

from __future__ import annotations

from typing import Any


def detected(report: dict[str, Any]) -> list[dict[str, Any]]:
    return list(report.get("detected") or ())


def text(item: dict[str, Any]) -> str:
    """One detected symptom as a line of text."""
    return f"{item['symptom']}: detected in the log from step {item['step']}: {item['evidence']}"


def from_log(report: dict[str, Any]) -> list[str]:
    """Each setup value the log gave, as 'lr 0.003 (the highest learning rate the log holds, step 40)'."""
    from advisor.render import human_value

    log = report.get("log") or {}
    return [f"{v['field']} {human_value(v['field'], v['value'])} ({v['source']})" for v in log.get("values", ())]


def log_line(report: dict[str, Any]) -> str | None:
    """'trainer_state.json (huggingface, 120 rows)' and what the reader noted, or None without a log."""
    log = report.get("log")
    if not log:
        return None
    notes = "".join(f"; {note}" for note in log["notes"])
    return f"{log['path']} ({log['format']}, {log['rows']:,} rows){notes}"


def declared_setup(report: dict[str, Any]) -> dict[str, Any]:
    """The report's setup without what the log contributed: detected symptoms and values read from the log."""
    taken = {v["field"] for v in (report.get("log") or {}).get("values", ())}
    setup = {k: v for k, v in report["setup"].items() if k not in taken}
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
