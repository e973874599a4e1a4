"""The `advisor` command line: wires setup → facts → rules → ranking → rendering.

Exit codes:
  0    ok; also `advisor` or `advisor rules` alone, which print their help (as `--help` does)
  1    a finding the user asked to fail on (`--fail-on`, `fill --check/--strict`, `rules validate`)
  2    usage or input error: one line on stderr naming the field, never a traceback
  70   internal error (EX_SOFTWARE): a bug, never bad input; one line asking for a report,
       the traceback only with ADVISOR_DEBUG=1
  130  interrupted (Ctrl-C)
  141  stdout closed before the output was written (`advisor … | head -1`): quiet, as a
       tool killed by SIGPIPE (128 + 13) would be
Output works on any stdout encoding: JSON escapes what the stream cannot encode (`\u00b7`),
text degrades to `?`.
Heavy modules (rich, pydantic) are imported only by the commands that need them.
"""

from __future__ import annotations

import codecs
import inspect
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer
import typer.core

from advisor.setup import fields
from advisor.errors import AdvisorError
from advisor.files import shown

# what main prints of an error message at most: a 100k-character flag value must not fill the screen
MESSAGE_LIMIT = 300
# `--format` values whose output is JSON: written ASCII-escaped where stdout cannot encode a character
JSON_FORMATS = ("json", "sarif")
EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 70, 130, 141


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    # Outside its strings JSON is ASCII, so an unencodable character is inside a string, where
    # `\uXXXX` (a surrogate pair beyond the BMP) is the same text.
    chunk = error.object[error.start:error.end]
    return json.dumps(chunk)[1:-1], error.end


codecs.register_error("advisor-json", _json_escape)


def _stdout_errors(errors: str) -> None:
    """How stdout writes what its encoding cannot: "replace" for text, "advisor-json" for JSON."""
    if hasattr(sys.stdout, "reconfigure") and getattr(sys.stdout, "errors", errors) != errors:
        sys.stdout.reconfigure(errors=errors)


def json_stdout() -> None:
    """Call before writing JSON to stdout (commands whose output is JSON whatever their options)."""
    _stdout_errors("advisor-json")


class _StdoutClosed(BaseException):
    """The reader of stdout went away (a broken pipe).

    A BaseException, so that it reaches `main` past rich and typer, which both turn a broken
    pipe into exit 1, the code of a `--fail-on` finding.
    """


class _Stdout:
    """sys.stdout while `main` runs: the same stream, but a broken pipe raises `_StdoutClosed`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise _StdoutClosed() from None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise _StdoutClosed() from None

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno, reconfigure, …
        return getattr(self._stream, name)


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


class _Command(typer.core.TyperCommand):
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


class _App(typer.Typer):
    """Every command of the app, also those other modules register, uses `_Command`."""

    def command(self, *args: Any, cls: Any = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or _Command, **kwargs)


# -h beside --help, for every command (click passes help_option_names down to subcommands)
_CONTEXT = {"help_option_names": ["-h", "--help"]}
app = _App(rich_markup_mode=None, pretty_exceptions_enable=False, context_settings=_CONTEXT, add_completion=True,
           help="Ranked, explained training advice with working code.")
rules_app = _App(rich_markup_mode=None, context_settings=_CONTEXT, help="Browse and check the knowledge base.")
app.add_typer(rules_app, name="rules")


def _help_when_bare(ctx: typer.Context) -> None:
    """`advisor` (or `advisor rules`) alone asks for help: print it, exit 0."""
    if ctx.invoked_subcommand is None:
        print(ctx.get_help())
        raise typer.Exit(0)


def _show_version(value: bool) -> None:
    if value:
        from advisor import __version__

        print(f"advisor {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context,
          version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                       help="print the version and exit")) -> None:
    # `version` is handled by its eager callback, before any command runs
    _help_when_bare(ctx)


@rules_app.callback(invoke_without_command=True)
def _rules_root(ctx: typer.Context) -> None:
    _help_when_bare(ctx)


# one declaration for every command that reads a setup
SETUP_FILE = typer.Option(None, "--setup", metavar="FILE",
                          help="setup file (YAML, JSON or TOML); flags override it. Without it: the nearest "
                               "advisor.yaml, advisor.toml or pyproject.toml with [tool.advisor], from here up "
                               "to the repository root (stderr says which)")


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
    help_text = field.help + (f": {', '.join(field.choices)}" if field.choices else "")
    # every value is text for the setup parser; "VALUE" keeps the flag column narrow
    option = typer.Option(None, *decls, help=help_text, show_default=False, rich_help_panel="Setup",
                          metavar=None if field.kind == "bool" else "VALUE")
    return inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)


def _with_setup_options(command=None, *, only: tuple[str, ...] | None = None):
    """Give `command` one keyword option per setup field (or per field named in `only`), as typer reads signatures.

    The command receives them as `setup_values`, a dict of field name → raw flag value or None.
    """
    if command is None:
        return lambda command: _with_setup_options(command, only=only)
    chosen = fields.FIELDS if only is None else tuple(f for f in fields.FIELDS if f.name in only)
    unknown = set(only or ()) - {f.name for f in chosen}
    if unknown:  # a programming error in a command declaration, caught at import
        raise ValueError(f"_with_setup_options(only=...): no setup field {sorted(unknown)}")
    signature = inspect.signature(command)
    params = [p for p in signature.parameters.values() if p.name != "setup_values"]
    params += [_setup_option(f) for f in chosen]

    def wrapper(**kwargs):
        values = {f.name: kwargs.pop(f.name) for f in chosen}
        return command(setup_values=values, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    wrapper.__doc__, wrapper.__name__ = command.__doc__, command.__name__
    return wrapper


def _fail_on_exit(fired: list[dict[str, Any]], fail_on: Optional[Severity], exit_zero: bool) -> None:
    """`--fail-on SEVERITY`: exit 1, saying on stderr how many items are at or above it, when any are."""
    if fail_on is None or exit_zero:
        return
    from advisor.rank.engine import SEVERITY_ORDER

    hits = sum(SEVERITY_ORDER[item["severity"]] <= SEVERITY_ORDER[fail_on.value] for item in fired)
    if hits:
        print(f"advisor: {hits} advice item{'s' if hits != 1 else ''} at or above severity {fail_on.value} "
              f"(--fail-on {fail_on.value}): exit 1", file=sys.stderr)
        raise typer.Exit(1)


def _load_setup(setup_file: Optional[Path], values: dict[str, Any], rules: list[Path]
                ) -> tuple[dict[str, Any], list[Path]]:
    """Setup-file values overridden by flags; then normalised.

    Without --setup the nearest project setup file is used, and stderr says which (stdout stays clean
    for JSON): `advisor: setup from ../advisor.yaml (advisor.toml ignored)`.
    """
    from advisor.setup import setupfile

    raw: dict[str, Any] = {}
    extra_rules: list[Path] = []
    if setup_file is None:
        found = setupfile.find(Path.cwd())
        if found is not None:
            print(f"advisor: {found.note()}", file=sys.stderr)
            setup_file = found.path
    if setup_file is not None:
        raw, extra_rules = setupfile.read(setup_file)
        fields.normalize_setup(raw, where=shown(setup_file))  # name the file in errors about its own values
    raw.update({k: v for k, v in values.items() if v is not None and v != []})
    return fields.normalize_setup(raw), extra_rules + list(rules)


@app.command()
@_with_setup_options
def diagnose(
    setup_values: dict,
    setup: Optional[Path] = SETUP_FILE,
    rules: list[Path] = typer.Option([], "--rules", help="extra folder or file of rules (repeatable)"),
    format: ReportFormat = typer.Option(ReportFormat.terminal, "--format", "-f", help="output format"),
    top: Optional[int] = typer.Option(None, "--top", min=1, metavar="N", help="show the N best items"),
    explain: bool = typer.Option(False, "--explain", help="show for every rule which conditions held or failed"),
    fail_on: Optional[Severity] = typer.Option(None, "--fail-on",
                                               help="exit 1 when an advice item of this severity or higher fires"),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="exit 0 even when --fail-on findings fire"),
    log: Optional[Path] = typer.Option(None, "--log", metavar="FILE",
                                       help="training log to detect symptoms in (trainer_state.json, "
                                            "Lightning/Keras CSV, CSV, JSON Lines, TensorBoard)"),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE",
                                        help="with --log: write the loss curve to FILE.png|.svg|.html"),
) -> None:
    """Rank advice for a training setup."""
    from advisor import pipeline

    if plot is not None and log is None:
        raise AdvisorError("--plot: draws the curve of a training log; give the log with --log PATH")
    normalized, rule_paths = _load_setup(setup, setup_values, rules)
    advised = pipeline.advise(normalized, log=log, rules=rule_paths, top=top, explain=explain)
    report, book, analysis = advised.report, advised.book, advised.analysis
    fired = advised.fired  # --fail-on judges every item, not only the --top shown
    if plot is not None:
        from advisor.logs import chart
        chart.write_figure(analysis, plot)
    if format is ReportFormat.json:
        from advisor.render import json_format
        print(json_format.render(report))
    elif format is ReportFormat.markdown:
        from advisor.render import markdown
        print(markdown.render(report))
    elif format in (ReportFormat.sarif, ReportFormat.github):
        from advisor.render import ci
        print(ci.render(format.value, report, book, setup), end="")
    else:
        from advisor.render import terminal
        if analysis is not None:
            from advisor.logs import chart
            chart.show(analysis)
        terminal.show(report)
        if explain:
            from advisor.render import explain as explain_view
            explain_view.show(report["explain"])
    _fail_on_exit(fired, fail_on, exit_zero)


@rules_app.command("list")
def rules_list(
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="terminal, json or markdown"),
    rules: list[Path] = typer.Option([], "--rules", help="extra folder or file of rules"),
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
    rules: list[Path] = typer.Option([], "--rules", help="extra folder or file of rules"),
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




def _is_usage_error(exc: BaseException) -> bool:
    # click's (and typer's vendored click's) UsageError, without importing either by name
    return hasattr(exc, "format_message") and hasattr(exc, "exit_code")


def _error(message: str) -> None:
    """One line on stderr, whatever the message holds: newlines folded, length capped."""
    print(f"advisor: {shown(' '.join(message.splitlines()), MESSAGE_LIMIT)}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the output still buffered must not fail again at interpreter exit."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): nothing will flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _internal_error(exc: Exception) -> int:
    """A bug, not bad input: one line asking for a report; the traceback only when ADVISOR_DEBUG is set."""
    if os.environ.get("ADVISOR_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc)
    _error(f"internal error: {type(exc).__name__}: {exc} (a bug in advisor, not in your input: please "
           f"report it; ADVISOR_DEBUG=1 shows the traceback)")
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    command = typer.main.get_command(app)
    stdout, before = sys.stdout, getattr(sys.stdout, "errors", None)
    _stdout_errors("replace")  # text on a stream that cannot encode it degrades to "?", never a traceback
    if stdout is not None:
        sys.stdout = _Stdout(stdout)
    try:
        result = command.main(args=argv, prog_name="advisor", standalone_mode=False)
        sys.stdout.flush()  # here, not at interpreter exit, so that a closed pipe is seen
        return result if isinstance(result, int) else 0
    except AdvisorError as exc:
        _error(f"error: {exc}")
        return 2
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        return code if isinstance(code, int) else 0
    except _StdoutClosed:
        _silence_stdout()
        return EXIT_PIPE_CLOSED
    except (typer.Abort, KeyboardInterrupt):
        print("advisor: aborted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if _is_usage_error(exc):
            _error(f"error: {exc.format_message()} (see advisor --help)")
            return 2
        return _internal_error(exc)
    finally:
        sys.stdout = stdout
        if before is not None:
            _stdout_errors(before)
