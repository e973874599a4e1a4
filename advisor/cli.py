"""The `advisor` command line: wires setup → facts → rules → ranking → rendering.

Exit codes: 0 ok, 2 usage or input error (one line on stderr, never a traceback).
Heavy modules (rich, pydantic) are imported only by the commands that need them.
"""

from __future__ import annotations

import inspect
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from . import fields
from .errors import AdvisorError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ranked, explained training advice with working code.")
rules_app = typer.Typer(no_args_is_help=True, help="Browse and check the knowledge base.")
app.add_typer(rules_app, name="rules")


# one declaration for every command that reads a setup
SETUP_FILE = typer.Option(None, "--setup", help="setup file (YAML, JSON or TOML); flags override it; "
                                                 "else advisor.yaml / advisor.toml / [tool.advisor] in pyproject.toml")


class Format(str, Enum):
    terminal = "terminal"
    json = "json"
    markdown = "markdown"


class ReportFormat(str, Enum):
    """`diagnose` also speaks the formats CI tools read."""
    terminal = "terminal"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"


class Severity(str, Enum):
    high = "high"
    medium = "medium"
    low = "low"


def _setup_option(field: fields.Field) -> inspect.Parameter:
    """A CLI option for one setup field; values stay raw text for the setup parser."""
    if field.kind == "bool":
        annotation: Any = Optional[bool]
        decls = [f"{field.cli_flag}/--no-{field.cli_flag[2:]}"]
    elif field.kind == "set":
        annotation, decls = Optional[list[str]], [field.cli_flag]
    else:
        annotation, decls = Optional[str], [field.cli_flag]
    # parentheses, not brackets: rich would read "[fp32, fp16]" as markup and drop it
    help_text = field.help + (f": {', '.join(field.choices)}" if field.choices else "")
    option = typer.Option(None, *decls, help=help_text, show_default=False, rich_help_panel="Setup")
    return inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)


def _with_setup_options(command):
    """Give `command` one keyword option per setup field, as typer reads signatures."""
    signature = inspect.signature(command)
    params = [p for p in signature.parameters.values() if p.name != "setup_values"]
    params += [_setup_option(f) for f in fields.FIELDS]

    def wrapper(**kwargs):
        values = {f.name: kwargs.pop(f.name) for f in fields.FIELDS}
        return command(setup_values=values, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    wrapper.__doc__, wrapper.__name__ = command.__doc__, command.__name__
    return wrapper


def _load_setup(setup_file: Optional[Path], values: dict[str, Any], rules: list[Path]
                ) -> tuple[dict[str, Any], list[Path]]:
    """Setup-file values overridden by flags; then normalised."""
    from . import setupfile

    raw: dict[str, Any] = {}
    extra_rules: list[Path] = []
    if setup_file is None:
        setup_file = setupfile.discover(Path.cwd())  # advisor.yaml / advisor.toml / [tool.advisor]
    if setup_file is not None:
        raw, extra_rules = setupfile.read(setup_file)
        fields.normalize_setup(raw, where=str(setup_file))  # name the file in errors about its own values
    raw.update({k: v for k, v in values.items() if v is not None and v != []})
    return fields.normalize_setup(raw), extra_rules + list(rules)


@app.command()
@_with_setup_options
def diagnose(
    setup_values: dict,
    setup: Optional[Path] = SETUP_FILE,
    rules: list[Path] = typer.Option([], "--rules", help="extra folder or file of rules (repeatable)"),
    format: ReportFormat = typer.Option(ReportFormat.terminal, "--format", "-f", help="output format"),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="show the N best items"),
    explain: bool = typer.Option(False, "--explain", help="show for every rule which conditions held or failed"),
    fail_on: Optional[Severity] = typer.Option(None, "--fail-on",
                                               help="exit 1 when an advice item of this severity or higher fires"),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="exit 0 even when --fail-on findings fire"),
    log: Optional[Path] = typer.Option(None, "--log", help="training log to detect symptoms in (trainer_state.json, "
                                                           "Lightning/Keras CSV, CSV, JSON Lines, TensorBoard)"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="with --log: write the loss curve to FILE.png|.svg|.html"),
) -> None:
    """Rank advice for a training setup."""
    from . import engine, rulebook

    normalized, rule_paths = _load_setup(setup, setup_values, rules)
    analysis = None
    if log is not None:
        from . import logs

        analysis = logs.analyze(log)
        normalized = logs.merge_symptoms(normalized, analysis)
        if plot is not None:
            from .logs import chart
            chart.write_figure(analysis, plot)
    elif plot is not None:
        raise AdvisorError("--plot: draws the curve of a training log; give the log with --log PATH")
    book, _ = rulebook.load_rulebook(rule_paths)
    report = engine.run(book, normalized, explain=explain, detected=analysis.detected() if analysis else None)
    fired = report["advice"]  # --fail-on judges every item, not only the --top shown
    report["advice"] = fired[:top] if top else fired
    if format is ReportFormat.json:
        from .render import json_format
        print(json_format.render(report))
    elif format is ReportFormat.markdown:
        from .render import markdown
        print(markdown.render(report))
    elif format in (ReportFormat.sarif, ReportFormat.github):
        from .render import ci
        print(ci.render(format.value, report, book, setup), end="")
    else:
        from .render import terminal
        if analysis is not None:
            from .logs import chart
            chart.show(analysis)
        terminal.show(report)
        if explain:
            from .render import explain as explain_view
            explain_view.show(report["explain"])
    if fail_on is not None and not exit_zero:
        from .engine import SEVERITY_ORDER
        if any(SEVERITY_ORDER[item["severity"]] <= SEVERITY_ORDER[fail_on.value] for item in fired):
            raise typer.Exit(1)


@rules_app.command("list")
def rules_list(
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="terminal, json or markdown"),
    rules: list[Path] = typer.Option([], "--rules", help="extra folder or file of rules"),
) -> None:
    """List every rule: id, strategy, severity, source sections, title."""
    from . import catalog, rulebook

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
    rules: list[Path] = typer.Option([], "--rules", help="extra folder or file of rules"),
) -> None:
    """Show one rule in full: condition, texts, code, sources, examples."""
    from . import catalog, rulebook
    from .units import nearest

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
    from . import rulebook

    book, errors = rulebook.load_rulebook(paths, collect=True)
    wanted = {rulebook.display_path(p) for path in paths if path.exists() for p in rulebook.rule_files(path)}
    checked = [r for r in book.rules if r.file in wanted]
    for rule in checked:
        errors.extend(rulebook.check_examples(rule))
    for error in errors:
        print(error, file=sys.stderr)
    examples = sum(len(v) for r in checked for v in r.examples.values())
    print(f"{len(checked)} rules checked, {examples} examples run, {len(errors)} problems")
    if errors:
        raise typer.Exit(1)


@app.command("facts")
def facts_list(
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="terminal or json"),
) -> None:
    """List the facts rules can use: setup fields and derived numbers."""
    from . import catalog

    rows = catalog.fact_rows()
    if format is Format.json:
        print(json.dumps(rows, indent=2))
    else:
        catalog.show_facts(rows)


from . import memory_cli  # noqa: E402,F401  registers `advisor memory` and `advisor imbalance`
from . import ci_cli  # noqa: E402,F401  registers `advisor fill` and `advisor schema`


def _is_usage_error(exc: BaseException) -> bool:
    # click's (and typer's vendored click's) UsageError, without importing either by name
    return hasattr(exc, "format_message") and hasattr(exc, "exit_code")


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="advisor", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except AdvisorError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return 2
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        return code if isinstance(code, int) else 0
    except (typer.Abort, KeyboardInterrupt):
        print("advisor: aborted", file=sys.stderr)
        return 130
    except Exception as exc:
        if _is_usage_error(exc):
            message = " ".join(exc.format_message().split())
            print(f"advisor: error: {message} (see advisor --help)", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
