"""--explain in the terminal: for each rule, whether it fired and which conditions held."""

from rich.console import Console
from rich.markup import escape

_MARK = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}


def show(explained: list[dict], console: Console | None = None) -> None:
    console = console or Console()
    console.rule("explain")
    for entry in explained:
        state = {True: "fired", False: "silent", None: "undecided"}[entry["fired"]]
        console.print(f"{_MARK[entry['fired']]} [bold]{entry['rule']}[/] ({entry['strategy']}) {state}")
        for cond in entry["conditions"]:
            values = ", ".join(f"{k}={v}" for k, v in cond["facts"].items())
            console.print(f"    {_MARK[cond['result']]} {escape(cond['test'])}  [dim]{escape(values)}[/]")
