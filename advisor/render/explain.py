"""--explain in the terminal: for each rule, whether it fired, its condition as a tree, then what ranked it.

The tree keeps `and` / `or` / `not` / `maybe`, so a rule whose condition is
`x >= 4 and not x < 4` shows the `x < 4` that failed under the `not` that held.
`when` only decides whether the fix applies; the order comes from the diagnosis
(advisor/rank/engine.py), so after the tree come the cause the rule is ranked by,
whether it addresses a present problem, its score, and each piece of evidence that
held with its weight: for the cause or fix, against it, and the contraindications
that demoted it (`against -3: ...`).
"""

from typing import Any, Iterator

from rich.console import Console
from rich.markup import escape

_MARK = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}
_OPS = {"and": "all of", "or": "any of", "not": "not", "maybe": "maybe (holds unless known to be false)"}
_TIERS = {0: "addresses a present problem", 1: "addresses no present problem"}  # tier 1 ranks below tier 0
_INDENT = "    "


def show(explained: list[dict], console: Console | None = None) -> None:
    console = console or Console()
    console.rule("explain")
    for entry in explained:
        state = {True: "fired", False: "silent", None: "undecided"}[entry["fired"]]
        console.print(f"{_MARK[entry['fired']]} [bold]{entry['rule']}[/] ({entry['strategy']}) {state}")
        for line in _tree(entry["when"], 1, "when "):
            console.print(line)
        console.print(f"{_INDENT}cause {escape(entry['cause'])}, {_TIERS[entry['tier']]}: score {entry['score']}")
        for item in entry["evidence"]:
            side = "for" if item["weight"] > 0 else "against"
            console.print(f"{_INDENT * 2}{side} {item['weight']:+d}: {escape(item['text'])}")


def _tree(node: dict[str, Any], depth: int, label: str = "") -> Iterator[str]:
    pad = _INDENT * depth
    if "op" in node:
        yield f"{pad}{escape(label)}{_MARK[node['result']]} {_OPS[node['op']]}"
        for part in node["parts"]:
            yield from _tree(part, depth + 1)
        return
    values = ", ".join(f"{k}={v}" for k, v in node["facts"].items())
    yield f"{pad}{escape(label)}{_MARK[node['result']]} {escape(node['test'])}  [dim]{escape(values)}[/]"
