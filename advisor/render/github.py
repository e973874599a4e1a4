"""GitHub Actions workflow commands: one annotation per advice item.

GitHub shows at most 10 annotations of each type per step, so the first 10
of each type are annotated and the full report goes to the job summary
(`summary`, as markdown) when the runner provides one: the command appends it
to $GITHUB_STEP_SUMMARY. Without one, the rest are listed as plain log lines
so no finding is lost.
"""

from __future__ import annotations

from typing import Any

from advisor.render import detected
from advisor.vocabulary import SEVERITIES

COMMAND = dict(zip(SEVERITIES, ("error", "warning", "notice")))
LIMIT = 10


def escape_data(text: str) -> str:
    """A command's message: % first, so the escapes themselves are not escaped again."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file=, title=): `:` and `,` would end it early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(item: dict[str, Any], location=None) -> str:
    props = {}
    if location is not None:
        props = {"file": location.uri, "line": str(location.line_for(item))}
    props["title"] = f"{item['rule']} {item['title']}"
    why = "\n".join(reason["text"] for reason in item["why"])
    message = f"{why}\nDo: {item['do']}"
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{COMMAND[item['severity']]} {joined}::{escape_data(message)}"


def _split(report: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items annotated, items beyond GitHub's LIMIT per type)."""
    annotated, overflow, counts = [], [], {}
    for item in report["advice"]:
        kind = COMMAND[item["severity"]]
        counts[kind] = counts.get(kind, 0) + 1
        (annotated if counts[kind] <= LIMIT else overflow).append(item)
    return annotated, overflow


def render(report: dict[str, Any], location=None, *, summarized: bool = False) -> str:
    """The annotations; unless the job summary lists the rest (`summarized`), a log line for each of them."""
    annotated, overflow = _split(report)
    # the symptoms the log showed, each a notice with its step and evidence (before the advice they led to)
    out = [f"::notice title={escape_property('detected: ' + item['symptom'])}::{escape_data(detected.text(item))}"
           for item in detected.detected(report)]
    out += [annotation(item, location) for item in annotated]
    if not summarized:
        out += [f"advisor: not annotated ({LIMIT} per type): {COMMAND[i['severity']]} {i['rule']} {i['title']}"
                for i in overflow]
    return "".join(line + "\n" for line in out)


def summary(report: dict[str, Any]) -> str:
    """The job summary: the whole report as markdown, saying how many findings only it lists."""
    from advisor.render import markdown

    overflow = len(_split(report)[1])
    note = ""
    if overflow:
        note = (f"\n> {overflow} more finding{'s' if overflow > 1 else ''} than GitHub annotates "
                f"({LIMIT} per type) are listed here only.\n")
    return markdown.render(report) + note + "\n"


# ------------------------------------------------------------------ code findings (`advisor check`)

def code_annotation(finding: dict[str, Any]) -> str:
    """One finding of `advisor check` as an annotation on its file and line."""
    props = {"file": finding["path"], "line": str(finding["line"]), "title": f"{finding['rule']} {finding['title']}"}
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    message = f"{finding['why']}\nFix: {finding['fix']}"
    return f"::{COMMAND[finding['severity']]} {joined}::{escape_data(message)}"


def render_code_findings(findings: list[dict[str, Any]]) -> str:
    """Annotations for the first LIMIT findings of each type, a log line for each of the rest."""
    out, counts = [], {}
    for finding in findings:
        kind = COMMAND[finding["severity"]]
        counts[kind] = counts.get(kind, 0) + 1
        out.append(code_annotation(finding) if counts[kind] <= LIMIT else
                   f"advisor: not annotated ({LIMIT} per type): {kind} {finding['path']}:{finding['line']} "
                   f"{finding['rule']} {finding['title']}")
    return "".join(line + "\n" for line in out)
