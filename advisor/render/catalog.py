"""Browse the knowledge base: rule and fact listings for `advisor rules` and `advisor facts`."""

from __future__ import annotations

from typing import Any

from advisor.facts import derive as facts
from advisor.rulebook.loader import Rule, Rulebook


def rule_rows(book: Rulebook) -> list[dict[str, Any]]:
    return [{"id": r.id, "strategy": r.strategy, "severity": r.severity, "treats": book.treats(r),
             "cost": book.cost(r), "sources": list(r.sources), "title": r.title, "when": r.condition.source,
             "frameworks": list(r.code), "file": r.file} for r in book.rules]


def treats_text(treats: dict[str, str]) -> str:
    """'fp16-overflow (direct), lr-too-high (indirect)'."""
    return ", ".join(f"{cause} ({directness})" for cause, directness in treats.items())


def evidence_text(evidence: Any) -> str:
    """'+2 when precision == 'fp16': training in fp16'."""
    says = f": {' '.join(evidence.says.split())}" if evidence.says else ""
    return f"{evidence.weight:+d} when {' '.join(evidence.condition.source.split())}{says}"


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
    """Each rule: id, then its title and its strategy, severity and sources, wrapped under one another."""
    from rich.console import Console
    from rich.text import Text

    from advisor.render.terminal import hang

    console = Console()
    indent = max((len(r["id"]) for r in rows), default=0) + 2
    for r in rows:
        sources = ", ".join(f"§{s}" for s in r["sources"]) or "beyond the source document"
        hang(console, r["id"], Text(r["title"]), indent=indent)
        hang(console, "", Text(f"{r['strategy']} · {r['severity']} · {sources}", style="dim"), indent=indent)


def show_facts(rows: list[dict[str, Any]]) -> None:
    """Each fact: name and kind, then its description (and accepted values) indented below."""
    from rich.console import Console
    from rich.text import Text

    from advisor.render.terminal import hang

    console = Console()
    for r in rows:
        hang(console, f"{r['name']} ", Text(r["kind"], style="dim"), label_style="bold")
        values = f" ({', '.join(r['values'])})" if "values" in r else ""
        hang(console, "    ", r["description"] + values)


def show_rule(rule: Rule, book: Rulebook, console=None) -> None:
    from rich.console import Console
    from rich.text import Text

    from advisor.render.terminal import hang, print_code

    console = console or Console()
    strategy = book.strategies[rule.strategy]
    hang(console, f"{rule.id} ", Text(rule.title, style="bold"))
    rows = [("strategy", f"{rule.strategy} — {strategy.description}"),
            ("severity", rule.severity),
            ("treats", treats_text(book.treats(rule))), ("cost", book.cost(rule)),
            ("when", rule.condition.source.strip())]
    rows += [("evidence", evidence_text(e)) for e in rule.evidence]
    rows += [("contra", f"{c.effect} when {' '.join(c.condition.source.split())}: {c.says.strip()}")
             for c in rule.contra]
    rows += [("why", rule.why.strip()), ("do", rule.do.strip()),
             ("sources", ", ".join(f"§{s}" for s in rule.sources) or "beyond the source document")]
    rows += [("reference", ref) for ref in rule.references]
    for label, text in rows:
        hang(console, label, text, indent=10)
    for framework, code in rule.code.items():
        print_code(console, code, f"code ({framework})")
    for kind, setups in rule.examples.items():
        for setup in setups:
            hang(console, "example", f"{kind}: {setup}", indent=10)
    console.print(Text(f"{rule.file}:{rule.line}", style="dim"))
