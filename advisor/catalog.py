"""Browse the knowledge base: rule and fact listings for `advisor rules` and `advisor facts`."""

from __future__ import annotations

from typing import Any

from . import facts
from .rulebook import Rule, Rulebook


def rule_rows(book: Rulebook) -> list[dict[str, Any]]:
    return [{"id": r.id, "strategy": r.strategy, "severity": r.severity, "priority": r.priority,
             "sources": list(r.sources), "title": r.title, "when": r.condition.source,
             "frameworks": list(r.code), "file": r.file} for r in book.rules]


def fact_rows() -> list[dict[str, Any]]:
    return [{"name": s.name, "kind": s.kind, "description": s.description,
             "derived": s.compute is not None, "requires": sorted(s.requires),
             **({"values": list(s.choices)} if s.choices else {})} for s in facts.SPECS.values()]


def markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| id | strategy | severity | sources | title |", "|---|---|---|---|---|"]
    lines += [f"| {r['id']} | {r['strategy']} | {r['severity']} | "
              f"{', '.join(f'§{s}' for s in r['sources']) or '—'} | {r['title']} |" for r in rows]
    return "\n".join(lines)


def show_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "strategy", "severity", "sources", "title", box=None, header_style="bold")
    for r in rows:
        table.add_row(r["id"], r["strategy"], r["severity"], ", ".join(map(str, r["sources"])) or "—", r["title"])
    Console().print(table)


def show_facts(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("fact", "kind", "description", box=None, header_style="bold")
    for r in rows:
        table.add_row(r["name"], r["kind"], r["description"] + (f" ({', '.join(r['values'])})" if "values" in r else ""))
    Console().print(table)


def show_rule(rule: Rule, book: Rulebook) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.syntax import Syntax

    console = Console()
    strategy = book.strategies[rule.strategy]
    console.print(f"[bold]{rule.id}[/] {escape(rule.title)}")
    console.print(f"strategy  {rule.strategy} — {escape(strategy.description)}")
    console.print(f"severity  {rule.severity}, priority {rule.priority}")
    console.print(f"when      {escape(rule.condition.source)}")
    for boost in rule.boosts:
        console.print(f"boost     +{boost.add} when {escape(boost.condition.source)}")
    console.print(f"why       {escape(rule.why.strip())}")
    console.print(f"do        {escape(rule.do.strip())}")
    console.print(f"sources   {', '.join(f'§{s}' for s in rule.sources) or 'beyond the source document'}")
    for ref in rule.references:
        console.print(f"reference {escape(ref)}")
    for framework, code in rule.code.items():
        console.print(f"[bold]code ({framework})[/]")
        console.print(Syntax(code.rstrip(), "python", theme="ansi_dark", background_color="default", word_wrap=True))
    for kind, setups in rule.examples.items():
        for setup in setups:
            console.print(f"example   {kind}: {escape(str(setup))}")
    console.print(f"[dim]{rule.file}:{rule.line}[/]")
