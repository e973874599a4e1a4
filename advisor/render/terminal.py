"""The rich terminal view: ranked items with why, what to do, and code that copies exactly.

A code block is printed flush left, each line exactly as in the JSON report, between two
marker lines: nothing is wrapped, cropped or drawn on a code line, so selecting its lines in
the terminal and pasting them gives the snippet at any width (a line longer than the window
runs past the edge, where the terminal soft-wraps it and still copies it as one line).
Everything else wraps at the window width, with a hanging indent; nothing is cut.
"""

from __future__ import annotations

import shutil

from rich.console import Console
from rich.segment import Segment, Segments
from rich.syntax import Syntax
from rich.text import Text

from advisor.render import cli_hint, detected, evidence_lines, problems_line, setup_line, shown_code, sources_text
from advisor.vocabulary import SEVERITIES

_SEVERITY_STYLE = dict(zip(SEVERITIES, ("bold red", "yellow", "cyan")))
_RULE = "─"
_MIN_TEXT_WIDTH = 20  # a window narrower than indent + this lets lines run past its edge, never cuts them


def hang(console: Console, label: str, text: Text | str, *, label_style: str = "bold",
         indent: int | None = None) -> None:
    """`label`, then `text` wrapped to the window with later lines under its first; long words fold."""
    indent = len(label) if indent is None else indent
    text = text if isinstance(text, Text) else Text(text)
    lines = text.wrap(console, max(_MIN_TEXT_WIDTH, console.width - indent), overflow="fold")
    for number, line in enumerate(lines):
        line.rstrip()
        head = Text(label.ljust(indent) if number == 0 else " " * indent, style=label_style if number == 0 else "")
        console.print(Text.assemble(head, line), soft_wrap=True)


def _marker(console: Console, lead: str, label: str) -> None:
    """A dim line `lead── label ─────` across the window (the label wraps when it must)."""
    if not label:
        console.print(Text(lead + _RULE * max(2, console.width - len(lead)), style="dim"), soft_wrap=True)
        return
    head = f"{lead}{_RULE * 2} "
    text = Text(f"{label} ", style="dim")
    lines = text.wrap(console, max(_MIN_TEXT_WIDTH, console.width - len(head)), overflow="fold")
    for number, line in enumerate(lines):
        fill = _RULE * max(0, console.width - len(head) - len(line)) if number == len(lines) - 1 else ""
        console.print(Text.assemble((head if number == 0 else " " * len(head), "dim"), line, (fill, "dim")),
                      soft_wrap=True)


def print_code(console: Console, code: str, label: str, footer: str = "", *, lead: str = "") -> None:
    """`code` between marker lines, its own lines untouched: what is copied is what the JSON holds."""
    body = code[:-1] if code.endswith("\n") else code
    if console.is_terminal and console.color_system and "\t" not in body:  # rich's highlighter expands tabs
        text = Syntax(body, "python", theme="ansi_dark", background_color="default").highlight(body)
        if text.plain != body:  # the highlighter ends its text with a newline of its own
            text.right_crop(len(text.plain) - len(body))
    else:
        text = Text(body)
    _marker(console, lead, label)
    # the segments as they are, printed soft-wrapped: rich neither wraps, crops nor expands tabs
    console.print(Segments([*text.render(console), Segment("\n")]), soft_wrap=True, end="")
    _marker(console, lead, footer)


def _meta(item: dict) -> Text:
    return Text.assemble((item["severity"], _SEVERITY_STYLE[item["severity"]]),
                         (f" · score {item['score']} · {item['strategy']} · {', '.join(item['rules'])} · "
                          f"{sources_text(item['source'])}", "dim"))


def _show_item(console: Console, item: dict) -> None:
    rank = f"{item['rank']}. "
    lead = " " * len(rank)
    hang(console, rank, Text(item["title"], style="bold"), label_style=_SEVERITY_STYLE[item["severity"]])
    hang(console, lead, _meta(item))
    if item.get("addresses"):
        hang(console, f"{lead}cause ", item["cause"]["title"])
    for line in evidence_lines(item):
        hang(console, f"{lead}      ", line)
    for reason in item["why"]:
        hang(console, f"{lead}why  ", reason["text"])
    hang(console, f"{lead}do   ", item["do"])
    code = shown_code(item)
    if code:
        others = [fw for fw in item["code"] if fw != code[0]]
        footer = f"other frameworks: {', '.join(others)} (--framework)" if others else ""
        if item.get("code_note"):
            hang(console, f"{lead}note ", item["code_note"])
        print_code(console, code[1], code[0], footer, lead=lead)


def window_console() -> Console:
    """A console as wide as the window (COLUMNS when set): rich itself falls back to 80 columns for a
    TERM it calls dumb, whatever COLUMNS says, and the text would wrap past the window."""
    return Console(width=shutil.get_terminal_size().columns)


def show(report: dict, console: Console | None = None) -> None:
    console = console or window_console()
    hang(console, "Setup: ", setup_line(detected.declared_setup(report)))
    if (log := detected.log_line(report)) is not None:
        hang(console, "Log: ", log)
    if taken := detected.from_log(report):
        hang(console, "From the log: ", "; ".join(taken))
    for item in detected.detected(report):
        hang(console, "Detected: ", detected.text(item))
    if report.get("problems"):
        hang(console, "Problems: ", problems_line(report))
    for finding in report.get("findings") or []:
        hang(console, "Code: ", f"{finding['path']}:{finding['line']} {finding['severity']} {finding['rule']} "
                                f"{finding['title']}")
    if not report["advice"]:
        console.print(Text("No rule fired for this setup. Add symptoms or more facts about the setup."))
    for item in report["advice"]:
        console.print()
        _show_item(console, item)
    if report["missing"] or report["dropped"]:
        console.print()
    for missing in report["missing"]:
        hang(console, "hint: ", cli_hint(missing), label_style="dim")
    for dropped in report["dropped"]:
        hang(console, "left out: ", f"{dropped['strategy']}: {dropped['reason']}", label_style="dim")
