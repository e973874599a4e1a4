"""--explain in the terminal: for each rule, whether it fired, its condition as a tree, and its boosts apart.

The tree keeps `and` / `or` / `not` / `maybe`, so a rule whose condition is
`x >= 4 and not x < 4` shows the `x < 4` that failed under the `not` that held,
and a boost's test is never read as part of the condition.
"""

from typing import Any, Iterator

from rich.console import Console
from rich.markup import escape

_MARK = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}
_OPS = {"and": "all of", "or": "any of", "not": "not", "maybe": "maybe (holds unless known to be false)"}
_INDENT = "    "


def show(explained: list[dict], console: Console | None = None) -> None:
    console = console or Console()
    console.rule("explain")
    for entry in explained:
        state = {True: "fired", False: "silent", None: "undecided"}[entry["fired"]]
        console.print(f"{_MARK[entry['fired']]} [bold]{entry['rule']}[/] ({entry['strategy']}) {state}")
        for line in _tree(entry["when"], 1, "when "):
            console.print(line)
        for boost in entry["boosts"]:
            # a boost adds to the score only of a rule that fired: +0 of +4 when it did not add
            added = f"+{boost['added']}" if boost["added"] else f"+0 of {boost['add']:+d}"
            for line in _tree(boost["when"], 1, f"boost {added}: "):
                console.print(line)


def _tree(node: dict[str, Any], depth: int, label: str = "") -> Iterator[str]:
    pad = _INDENT * depth
    if "op" in node:
        yield f"{pad}{escape(label)}{_MARK[node['result']]} {_OPS[node['op']]}"
        for part in node["parts"]:
            yield from _tree(part, depth + 1)
        return
    values = ", ".join(f"{k}={v}" for k, v in node["facts"].items())
    yield f"{pad}{escape(label)}{_MARK[node['result']]} {escape(node['test'])}  [dim]{escape(values)}[/]"
