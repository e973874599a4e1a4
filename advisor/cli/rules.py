"""`advisor rules list/show/validate` (the knowledge base) and `advisor facts` (what rules can read)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from advisor.cli.command import CONTEXT, App, help_when_bare
from advisor.cli.core import Format, app
from advisor.errors import AdvisorError

rules_app = App(rich_markup_mode=None, context_settings=CONTEXT, help="Browse and check the knowledge base.")
app.add_typer(rules_app, name="rules")

EXTRA_RULES = typer.Option([], "--rules", help="extra folder or file of rules")


@rules_app.callback(invoke_without_command=True)
def _rules_root(ctx: typer.Context) -> None:
    help_when_bare(ctx)


@rules_app.command("list")
def rules_list(
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="terminal, json or markdown"),
    rules: list[Path] = EXTRA_RULES,
) -> None:
    """List every rule: id, strategy, severity, source sections, title."""
    from advisor.render import catalog
    from advisor.rulebook import loader as rulebook

    book, _ = rulebook.load_rulebook(rules)
    rows = catalog.rule_rows(book)
    if format is Format.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif format is Format.markdown:
        print(catalog.markdown_table(rows))
    else:
        catalog.show_table(rows)


@rules_app.command("show")
def rules_show(
    rule_id: str = typer.Argument(..., help="a rule id, like IMB001"),
    rules: list[Path] = EXTRA_RULES,
) -> None:
    """Show one rule in full: condition, texts, code, sources, examples."""
    from advisor.render import catalog
    from advisor.rulebook import loader as rulebook
    from advisor.setup.units import nearest

    book, _ = rulebook.load_rulebook(rules)
    rule = book.get(rule_id)
    if rule is None:
        raise AdvisorError(f"rule_id: no rule {rule_id!r}{nearest(rule_id.upper(), [r.id for r in book.rules])}")
    catalog.show_rule(rule, book)


@rules_app.command("validate")
def rules_validate(
    paths: list[Path] = typer.Argument(..., help="rule files or folders to check"),
) -> None:
    """Check rule files (fields, conditions, templates) and run their examples."""
    from advisor.rulebook import loader as rulebook

    checked, errors = rulebook.validate(paths)
    for error in errors:
        print(error, file=sys.stderr)
    print(rulebook.validation_summary(checked, errors))
    if errors:
        raise typer.Exit(1)


@app.command("facts")
def facts_list(
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="terminal or json"),
) -> None:
    """List the facts rules can use: setup fields and derived numbers."""
    from advisor.render import catalog

    rows = catalog.fact_rows()
    if format is Format.json:
        print(json.dumps(rows, indent=2))
    else:
        catalog.show_facts(rows)
