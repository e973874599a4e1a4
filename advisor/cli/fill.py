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


class Family(str, Enum):
    huggingface = "huggingface"
    lightning = "lightning"
    deepspeed = "deepspeed"
    plain = "plain"


class SchemaKind(str, Enum):
    setup = "setup"
    rules = "rules"


@app.command("fill")
@_with_setup_options
def fill(
    setup_values: dict,
    config: Path = typer.Argument(..., help="training config (YAML, JSON or TOML) with `auto` values"),
    setup: Optional[Path] = SETUP_FILE,
    rules: list[Path] = typer.Option([], "--rules", help="extra folder or file of rules (repeatable)"),
    family: Optional[Family] = typer.Option(None, "--family", help="config family (detected from its keys)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write the filled config here"),
    in_place: bool = typer.Option(False, "--in-place", "-i", help="rewrite CONFIG (atomically)"),
    diff: bool = typer.Option(False, "--diff", help="print a unified diff instead of the file"),
    check: bool = typer.Option(False, "--check", help="write nothing; exit 1 if the file would change"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when a value you set disagrees with the advice"),
) -> None:
    """Replace every `auto` in a training config with the value recommended for the setup.

    Knows Hugging Face TrainingArguments, Lightning Trainer / LightningCLI,
    DeepSpeed and plain keys. Prints the filled config unless -o, --in-place,
    --diff or --check says otherwise; the original is never left half-written.
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
    normalized, rule_paths = _load_setup(setup, setup_values, rules)
    result = filler.fill_text(text, kind, normalized, where=str(config), family=family.value if family else None,
                              rule_paths=rule_paths)

    if result.disagreements:
        print(f"advisor: {filler.disagreement_message(str(config), result)}", file=sys.stderr)
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
    if result.left_to_library:
        print(f"advisor: left to {result.family}: {', '.join(result.left_to_library)} (auto is its own value)",
              file=sys.stderr)

    if diff:
        import difflib

        before, after = text.splitlines(keepends=True), result.text.splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(before, after, f"a/{config}", f"b/{config}"))
    if check:
        raise typer.Exit(1 if result.changed or (strict and result.disagreements) else 0)
    if output is None and not in_place and not diff:
        if kind == "json":
            json_stdout()
        sys.stdout.write(result.text)
    if strict and result.disagreements:
        raise typer.Exit(1)


@app.command("schema")
def schema(
    kind: SchemaKind = typer.Argument(SchemaKind.setup, help="setup (advisor.yaml) or rules (a rule file)"),
) -> None:
    """Print the JSON Schema of the setup file or of the rule file format, for editors."""
    from advisor.render import schema as schemas

    json_stdout()
    sys.stdout.write(schemas.render(kind.value))
