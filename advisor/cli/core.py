"""The `advisor` app: its options shared by every command that reads a setup, and `run`, which runs it.

The commands live beside it (diagnose.py, rules.py, memory.py, fill.py, check.py), each
parse → pipeline → render; they register on `app` when imported (advisor/cli/__init__.py
imports those a command line needs, then calls `run`).

Exit codes:
  0    ok; also `advisor` or `advisor rules` alone, which print their help (as `--help` does)
  1    a finding the user asked to fail on (`--fail-on`, `fill --check/--strict`, `rules validate`)
  2    usage or input error: one line on stderr naming the field, never a traceback
  70   internal error (EX_SOFTWARE): a bug, never bad input; one line asking for a report,
       the traceback only with ADVISOR_DEBUG=1
  130  interrupted (Ctrl-C)
  141  stdout closed before the output was written (`advisor … | head -1`): quiet, as a
       tool killed by SIGPIPE (128 + 13) would be
Output works on any stdout encoding (cli/stdout.py). Heavy modules (rich, pydantic)
are imported only by the commands that need them.
"""

from __future__ import annotations

import inspect
import os
import sys
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from advisor.cli import stdout as out
from advisor.cli.command import CONTEXT, App, help_when_bare
from advisor.cli.stdout import json_stdout  # noqa: F401  for the commands whose output is always JSON
from advisor.errors import AdvisorError
from advisor.files import shown
from advisor.setup import fields

# what main prints of an error message at most: a 100k-character flag value must not fill the screen
MESSAGE_LIMIT = 300
EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 70, 130, 141

app = App(rich_markup_mode=None, pretty_exceptions_enable=False, context_settings=CONTEXT, add_completion=True,
          help="Ranked, explained training advice with working code.")


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
    help_when_bare(ctx)


# one declaration for every command that reads a setup
SETUP_FILE = typer.Option(None, "--setup", metavar="FILE",
                          help="setup file (YAML, JSON or TOML); flags override it. Without it: the nearest "
                               "advisor.yaml, advisor.toml or pyproject.toml with [tool.advisor], from here up "
                               "to the repository root (stderr says which)")


# a training config whose setup facts (model, lr, batch sizes, precision…) join the setup, under the file and flags
CONFIG_FILE = typer.Option(None, "--config", metavar="FILE",
                           help="training config (HF TrainingArguments, axolotl, torchtune, Lightning or DeepSpeed "
                                "YAML/JSON/TOML) to read setup facts from; --setup and flags override it "
                                "(stderr names each conflict)")


class Loaded(typing.NamedTuple):
    """What `_load_setup` read: the normalised setup, the rule paths, and the setup file it used (or None)."""

    setup: dict[str, Any]
    rules: list[Path]
    path: Optional[Path]
    config: Any = None  # the training config's setup.trainconfig.Facts (with its parsed document), if one was read


class Format(str, Enum):
    terminal = "terminal"
    json = "json"
    markdown = "markdown"


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
    # resolved in the command's own module: typer reads the wrapper's, whose globals are this module's
    hints = typing.get_type_hints(command)
    params = [p.replace(annotation=hints.get(p.name, p.annotation))
              for p in signature.parameters.values() if p.name != "setup_values"]
    params += [_setup_option(f) for f in chosen]

    def wrapper(**kwargs):
        values = {f.name: kwargs.pop(f.name) for f in chosen}
        return command(setup_values=values, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    wrapper.__doc__, wrapper.__name__, wrapper.__module__ = command.__doc__, command.__name__, command.__module__
    return wrapper


def _load_setup(setup_file: Optional[Path], values: dict[str, Any], rules: list[Path],
                config: Any = None, *, conflicts: bool = True) -> Loaded:
    """A training config's setup facts, overridden by the setup file's values, overridden by flags; normalised.

    Without --setup the nearest project setup file is used, and stderr says which (stdout stays clean
    for JSON): `advisor: setup from ../advisor.yaml (advisor.toml ignored)`. The file used comes back
    with the setup, so no command looks for it a second time. `config` is a training config's path, or
    its trainconfig.Facts when the command has read it already; `conflicts=False` merges its facts without
    a note per value the file or a flag overrides (fill reading the config it fills).
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
    facts = None
    if config is not None:
        from advisor.setup import trainconfig

        facts = config if isinstance(config, trainconfig.Facts) else trainconfig.read(config)
        for skipped in facts.skipped:
            print(f"advisor: {facts.where}: not read as a setup fact: {skipped}", file=sys.stderr)
        raw = trainconfig.merge(facts, raw, layer="the setup file or a flag",
                                note=(lambda text: print(f"advisor: {text}", file=sys.stderr)) if conflicts
                                else (lambda text: None))
    return Loaded(fields.normalize_setup(raw), extra_rules + list(rules), setup_file, facts)


def _is_usage_error(exc: BaseException) -> bool:
    # click's (and typer's vendored click's) UsageError, without importing either by name
    return hasattr(exc, "format_message") and hasattr(exc, "exit_code")


def _error(message: str) -> None:
    """One line on stderr, whatever the message holds: newlines folded, length capped."""
    print(f"advisor: {shown(' '.join(message.splitlines()), MESSAGE_LIMIT)}", file=sys.stderr)


def _internal_error(exc: Exception) -> int:
    """A bug, not bad input: one line asking for a report; the traceback only when ADVISOR_DEBUG is set."""
    if os.environ.get("ADVISOR_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc)
    _error(f"internal error: {type(exc).__name__}: {exc} (a bug in advisor, not in your input: please "
           f"report it; ADVISOR_DEBUG=1 shows the traceback)")
    return EXIT_INTERNAL


def run(argv: list[str] | None = None) -> int:
    """Run the command line on the commands registered so far; returns the exit code (see the module docstring)."""
    command = typer.main.get_command(app)
    stdout, before = sys.stdout, getattr(sys.stdout, "errors", None)
    out.errors("replace")  # text on a stream that cannot encode it degrades to "?", never a traceback
    if stdout is not None:
        sys.stdout = out.Stdout(stdout)
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
    except out.StdoutClosed:
        out.silence()
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
            out.errors(before)
