"""A markdown report, for pull-request comments and job summaries."""

import re

from advisor.render import cli_hint, setup_line, shown_code, sources_text


def fence(code: str) -> str:
    """A backtick fence longer than any backtick run in `code`, so the block cannot end early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def render(report: dict) -> str:
    lines = ["# Training advice", "", f"**Setup:** {setup_line(report['setup'])}", ""]
    if not report["advice"]:
        lines += ["No rule fired for this setup. Add symptoms or more facts about the setup.", ""]
    for item in report["advice"]:
        lines += [f"## {item['rank']}. {item['title']}", "",
                  f"`{item['strategy']}` · severity **{item['severity']}** · score {item['score']} · "
                  f"rule{'s' if len(item['rules']) > 1 else ''} {', '.join(item['rules'])} · "
                  f"{sources_text(item['source'])}", ""]
        lines += [f"- **Why:** {reason['text']}" for reason in item["why"]]
        lines += [f"- **Do:** {item['do']}", ""]
        code = shown_code(item)
        if code:
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
