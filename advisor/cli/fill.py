"""`advisor fill` (write the advice into a training config) and `advisor schema`.

Registered on the main typer app by cli.py. tomlkit is imported only when
`fill` reads a TOML file.
"""


import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from advisor import files
from advisor.cli.core import SETUP_FILE, _load_setup, _with_setup_options, app, json_stdout
from advisor.errors import InputError


def _families() -> type[Enum]:
    from advisor.fill.families import FAMILIES

    return Enum("Family", {name: name for name in FAMILIES}, type=str)


Family = _families()


class SchemaKind(str, Enum):
    setup = "setup"
    rules = "rules"


@app.command("fill")
@_with_setup_options
def fill(
    setup_values: dict,
    config: Path = typer.Argument(..., help="training config (YAML, JSON or TOML) with `auto` values"),
    setup: Optional[Path] = SETUP_FILE,
    facts_from: Optional[Path] = typer.Option(None, "--config", metavar="FILE",
                                              help="training config to read setup facts from (default: CONFIG "
                                                   "itself); --setup and flags override it"),
    family: Optional[Family] = typer.Option(None, "--family", metavar="FAMILY",
                                            help="config family, detected from its keys: "
                                                 + ", ".join(m.value for m in Family)),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write the filled config here"),
    in_place: bool = typer.Option(False, "--in-place", "-i", help="rewrite CONFIG (atomically)"),
    diff: bool = typer.Option(False, "--diff", help="print a unified diff instead of the file"),
    check: bool = typer.Option(False, "--check", help="write nothing; exit 1 if the file would change"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when a value you set disagrees with the advice "
                                                        "or the run does not fit with them"),
) -> None:
    """Replace every `auto` in a training config with the value recommended for the setup.

    The memory values (micro-batch, accumulation, precision, checkpointing,
    ZeRO stage, offload, 8-bit optimizer) come from one plan, the one
    `advisor memory --config CONFIG` prints; values the config sets are kept
    and planned around. Knows Hugging Face TrainingArguments, axolotl,
    torchtune, Lightning Trainer / LightningCLI, DeepSpeed and plain keys.
    Prints the filled config unless -o, --in-place, --diff or --check says
    otherwise; the original is never left half-written.
    """
    from advisor import fill as filler
    from advisor.fill import formats

    if output is not None and in_place:
        raise InputError("--output", "give -o OUT or --in-place, not both")
    kind = formats.kind_of(config)
    data = files.read_bytes(config, field="config")  # a FIFO or /dev/zero is refused, never waited on
    try:
        text = data.decode("utf-8")  # not read_text: a BOM is part of the file and stays in it
    except UnicodeDecodeError as exc:
        raise InputError("config", f"cannot read {files.shown(config)}: not UTF-8 text (byte {exc.start})") from None
    # the config being filled describes its run too; its own values are what the plan keeps, so a setup
    # value they differ from is not reported here (with --config, the other file's conflicts are)
    from advisor.setup import trainconfig

    own = facts_from is None
    facts = trainconfig.from_text(text, kind, str(config)) if own else facts_from
    normalized = _load_setup(setup, setup_values, [], facts, conflicts=not own).setup
    result = filler.fill_text(text, kind, normalized, where=str(config), family=family.value if family else None)

    if result.disagreements:
        print(f"advisor: {filler.disagreement_message(str(config), result)}", file=sys.stderr)
    for warning in result.warnings:
        print(f"advisor: warning: {config}: {warning}", file=sys.stderr)
    # written first, so that a failed write is never preceded by a "filled" line
    if not check and output is not None:
        filler.write_atomic(output, result.text)
    elif not check and in_place and result.changed:
        filler.write_atomic(config, result.text)
    filled = ", ".join(f"{key}={filler.values.show(value)}" for key, value in result.filled)
    verb = "would fill" if check else "filled"
    print(f"advisor: {verb} {len(result.filled)} value{'s' if len(result.filled) != 1 else ''} in "
          f"{output if output is not None else config} ({result.family}){': ' + filled if filled else ''}",
          file=sys.stderr)
    for note in result.assumptions:
        print(f"advisor: assumed: {note}", file=sys.stderr)
    if result.left_to_library:
        print(f"advisor: left to {result.family}: {', '.join(result.left_to_library)} (auto is its own value)",
              file=sys.stderr)

    if diff:
        import difflib

        before, after = text.splitlines(keepends=True), result.text.splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(before, after, f"a/{config}", f"b/{config}"))
    if check:
        raise typer.Exit(1 if result.changed or (strict and (result.disagreements or result.warnings)) else 0)
    if output is None and not in_place and not diff:
        if kind == "json":
            json_stdout()
        sys.stdout.write(result.text)
    if strict and (result.disagreements or result.warnings):
        raise typer.Exit(1)


@app.command("schema")
def schema(
    kind: SchemaKind = typer.Argument(SchemaKind.setup, help="setup (advisor.yaml) or rules (a rule file)"),
) -> None:
    """Print the JSON Schema of the setup file or of the rule file format, for editors."""
    from advisor.render import schema as schemas

    json_stdout()
    sys.stdout.write(schemas.render(kind.value))
