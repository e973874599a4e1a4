"""GitHub Actions workflow commands: one annotation per advice item.

GitHub shows at most 10 annotations of each type per step, so the first 10
of each type are annotated and the full report goes to the job summary
($GITHUB_STEP_SUMMARY, as markdown) when the runner provides one; without
it, the rest are listed as plain log lines so no finding is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

COMMAND = {"high": "error", "medium": "warning", "low": "notice"}
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


def render(report: dict[str, Any], location=None, *, summary_path: str | None = None) -> str:
    lines, overflow, counts = [], [], {}
    for item in report["advice"]:
        kind = COMMAND[item["severity"]]
        counts[kind] = counts.get(kind, 0) + 1
        (lines if counts[kind] <= LIMIT else overflow).append(item)
    out = [annotation(item, location) for item in lines]
    if summary_path:
        from advisor.render import markdown

        note = ""
        if overflow:
            note = (f"\n> {len(overflow)} more finding{'s' if len(overflow) > 1 else ''} than GitHub annotates "
                    f"({LIMIT} per type) are listed here only.\n")
        with Path(summary_path).open("a", encoding="utf-8") as handle:
            handle.write(markdown.render(report) + note + "\n")
    else:
        out += [f"advisor: not annotated ({LIMIT} per type): {COMMAND[i['severity']]} {i['rule']} {i['title']}"
                for i in overflow]
    return "".join(line + "\n" for line in out)
