"""A markdown report, for pull-request comments and job summaries."""

import re

from advisor.render import cli_hint, evidence_lines, problems_line, setup_line, shown_code, sources_text
from advisor.render import detected


def fence(code: str) -> str:
    """A backtick fence longer than any backtick run in `code`, so the block cannot end early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def render(report: dict) -> str:
    lines = ["# Training advice", "", f"**Setup:** {setup_line(detected.declared_setup(report))}", ""]
    if (log := detected.log_line(report)) is not None:
        lines += [f"**Log:** {log}", ""]
    if taken := detected.from_log(report):
        lines += [f"**From the log:** {'; '.join(taken)}", ""]
    found = detected.detected(report)
    if found:
        lines += ["## Detected in the training log", ""]
        lines += [f"- **{item['symptom']}**: detected from step {item['step']}: {item['evidence']}" for item in found]
        lines.append("")
    if report.get("problems"):
        lines += [f"**Problems:** {problems_line(report)}", ""]
    if report.get("findings"):
        lines += ["**Found in the code:**", ""]
        lines += [f"- `{f['path']}:{f['line']}` {f['severity']} {f['rule']}: {f['title']}" for f in report["findings"]]
        lines.append("")
    if not report["advice"]:
        lines += ["No rule fired for this setup. Add symptoms or more facts about the setup.", ""]
    for item in report["advice"]:
        lines += [f"## {item['rank']}. {item['title']}", "",
                  f"`{item['strategy']}` · severity **{item['severity']}** · score {item['score']} · "
                  f"rule{'s' if len(item['rules']) > 1 else ''} {', '.join(item['rules'])} · "
                  f"{sources_text(item['source'])}", ""]
        if item.get("addresses"):
            lines.append(f"- **Cause:** {item['cause']['title']}")
        lines += [f"  - {line}" for line in evidence_lines(item)]
        lines += [f"- **Why:** {reason['text']}" for reason in item["why"]]
        lines += [f"- **Do:** {item['do']}", ""]
        code = shown_code(item)
        if code:
            if item.get("code_note"):
                lines += [f"*{item['code_note']}*", ""]
            marks = fence(code[1])
            lines += [f"{marks}python  # {code[0]}", code[1].rstrip("\n"), marks, ""]
    if report["missing"]:
        lines += ["## Facts that would sharpen this advice", ""]
        lines += [f"- {cli_hint(m, mark='`')}" for m in report["missing"]]
        lines.append("")
    if report["dropped"]:
        lines += ["## Left out", ""]
        lines += [f"- `{d['strategy']}` ({d['rule']}): {d['reason']}" for d in report["dropped"]]
        lines.append("")
    return "\n".join(lines)
