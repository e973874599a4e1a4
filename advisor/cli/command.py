"""How every `advisor` command parses and prints its help: plain click help, JSON-safe stdout.

Every command, also those other modules register, is a `Command` (through `App.command`).
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core

from advisor.cli.stdout import json_stdout

# `--format` values whose output is JSON: written ASCII-escaped where stdout cannot encode a character
JSON_FORMATS = ("json", "sarif")


def _write_rows(formatter: Any, rows: list[tuple[str, str]]) -> None:
    """click's two-column option list, but never breaking a word at a hyphen (`diverging-` / `loss`).

    The flag column narrows on a narrow terminal to leave the help column room; a longer flag
    stands on its own line with its help below.
    """
    import textwrap

    flag_width = max(16, min(30, formatter.width // 3))
    indent = " " * formatter.current_indent
    help_indent = indent + " " * (flag_width + 2)
    help_width = max(formatter.width - len(help_indent), 20)
    for term, text in rows:
        lines = textwrap.wrap(text, help_width, break_on_hyphens=False, break_long_words=False) or [""]
        if len(term) <= flag_width:
            formatter.write(f"{indent}{term:<{flag_width}}  {lines.pop(0)}".rstrip() + "\n")
        else:
            formatter.write(f"{indent}{term}\n")
        formatter.write("".join(f"{help_indent}{line}\n" for line in lines))


def _argument_name(param: Any) -> str:
    """How usage and help name a positional argument: CONFIG, PATHS..."""
    return (param.metavar or param.name or "").upper() + ("..." if param.nargs != 1 else "")


class Command(typer.core.TyperCommand):
    """Plain click help, grouped by panel: readable at any width, no markup to swallow `[tool.advisor]`.

    Typer's rich tables cut long flags at 80 columns (`--gradient-checkpoin…`); click's own
    formatter wraps the help text and never cuts a flag.
    """

    def format_options(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                sections.setdefault("Arguments", []).append((_argument_name(param), record[1]))
            else:
                sections.setdefault(getattr(param, "rich_help_panel", None) or "Options", []).append(record)
        for title in sorted(sections, key=lambda t: t != "Arguments"):  # stable: Options stay before Setup
            with formatter.section(title):
                _write_rows(formatter, sections[title])

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        # click's convention (CONFIG, [KIND], PATHS...), not typer's `{config}`
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def invoke(self, ctx: Any) -> Any:
        chosen = ctx.params.get("format")  # the text typer will turn into the command's enum
        if getattr(chosen, "value", chosen) in JSON_FORMATS:
            json_stdout()
        return super().invoke(ctx)


class App(typer.Typer):
    """Every command of the app, also those other modules register, uses `Command`."""

    def command(self, *args: Any, cls: Any = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or Command, **kwargs)


# -h beside --help, for every command (click passes help_option_names down to subcommands)
CONTEXT = {"help_option_names": ["-h", "--help"]}


def help_when_bare(ctx: typer.Context) -> None:
    """`advisor` (or `advisor rules`) alone asks for help: print it, exit 0."""
    if ctx.invoked_subcommand is None:
        print(ctx.get_help())
        raise typer.Exit(0)
