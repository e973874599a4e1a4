"""The rich terminal view: ranked items with why, what to do, and highlighted code."""

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from . import setup_line, shown_code, sources_text

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def show(report: dict, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]Setup:[/] {escape(setup_line(report['setup']))}")
    if not report["advice"]:
        console.print("No rule fired for this setup. Add symptoms or more facts about the setup.")
    for item in report["advice"]:
        parts: list = []
        for reason in item["why"]:
            parts.append(Text.assemble(("why  ", "bold"), reason["text"]))
        parts.append(Text.assemble(("do   ", "bold green"), item["do"]))
        code = shown_code(item)
        if code:
            parts.append(Syntax(code[1].rstrip(), "python", theme="ansi_dark", background_color="default", word_wrap=True))
        footer = (f"{item['strategy']} · {', '.join(item['rules'])} · score {item['score']} · "
                  f"{sources_text(item['source'])}" + (f" · {code[0]}" if code else ""))
        title = Text.assemble((f"{item['rank']}. ", "bold"), (item["title"], "bold"), "  ",
                              (item["severity"], _SEVERITY_STYLE[item["severity"]]))
        console.print(Panel(Group(*parts), title=title, title_align="left", subtitle=footer,
                            subtitle_align="right", border_style=_SEVERITY_STYLE[item["severity"]]))
    for missing in report["missing"]:
        console.print(f"[dim]hint:[/] {escape(missing['hint'])}")
    for dropped in report["dropped"]:
        console.print(f"[dim]left out {escape(dropped['strategy'])}: {escape(dropped['reason'])}[/]")
