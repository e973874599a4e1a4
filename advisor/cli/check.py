"""`advisor check FILE...`: read training scripts (never run them) and print their code findings.

Each finding: file:line, severity, rule, title, why (the code seen), the fix and a corrected
snippet; then the setup facts read from the code. `--format json|sarif|github` for tools and CI,
`--fail-on` as in `diagnose`. A file that is not Python is one line, exit 2.
"""

from __future__ import annotations

import sys
import textwrap
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from advisor.cli.core import app
from advisor.cli.diagnose import Severity
from advisor.vocabulary import SEVERITY_RANK, at_or_above


class CheckFormat(str, Enum):
    terminal = "terminal"
    json = "json"
    sarif = "sarif"
    github = "github"


@app.command()
def check(
    paths: list[Path] = typer.Argument(..., metavar="FILE", help="Python training scripts to read"),
    format: CheckFormat = typer.Option(CheckFormat.terminal, "--format", "-f", help="output format"),
    fail_on: Optional[Severity] = typer.Option(None, "--fail-on",
                                               help="exit 1 when a finding of this severity or higher is found"),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="exit 0 even when --fail-on findings are found"),
) -> None:
    """Find training-code bugs in scripts and read their setup, without running them."""
    from advisor import script
    from advisor.setup import fields

    facts, findings = script.read_scripts([str(p) for p in paths])
    setup = fields.as_data(script.setup_of(facts))
    findings.sort(key=lambda f: (f["path"], f["line"], SEVERITY_RANK[f["severity"]], f["rule"]))
    if format is CheckFormat.json:
        from advisor.cli.stdout import json_stdout
        from advisor.render import json_format

        json_stdout()
        print(json_format.dumps({"findings": findings, "setup": setup, "facts": facts}))
    elif format is CheckFormat.sarif:
        from advisor.render import json_format, sarif
        from advisor.script import rulefile

        print(json_format.dumps(sarif.code_findings_log(findings, rulefile.load(), setup)))
    elif format is CheckFormat.github:
        from advisor.render import github

        print(github.render_code_findings(findings), end="")
    else:
        print(_text(findings, facts, len(paths)), end="")
    if fail_on is not None and not exit_zero:
        hits = sum(at_or_above(f["severity"], fail_on.value) for f in findings)
        if hits:
            print(f"advisor: {hits} finding{'s' if hits != 1 else ''} at or above severity {fail_on.value} "
                  f"(--fail-on {fail_on.value}): exit 1", file=sys.stderr)
            raise typer.Exit(1)


def _text(findings: list[dict[str, Any]], facts: dict[str, dict[str, Any]], files: int) -> str:
    import shutil

    width = shutil.get_terminal_size().columns  # the window, as COLUMNS says; 80 when piped
    out = []
    for f in findings:
        out.append(f"{f['path']}:{f['line']}: {f['severity']} {f['rule']} {f['title']}")
        out += textwrap.wrap(f"why: {f['why']}", width, initial_indent="  ", subsequent_indent="       ")
        out += textwrap.wrap(f"fix: {f['fix']}", width, initial_indent="  ", subsequent_indent="       ")
        out.append("  corrected:")
        out += ["      " + line for line in f["snippet"].rstrip().splitlines()]
        out.append("")
    if facts:
        out.append("read from the code: " + ", ".join(
            f"{name}={fact['value']} ({Path(fact['path']).name}:{fact['line']})" for name, fact in facts.items()))
    counts = {s: sum(f["severity"] == s for f in findings) for s in SEVERITY_RANK}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    out.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''} in {files} "
               f"file{'s' if files != 1 else ''} ({summary})")
    return "".join(line + "\n" for line in out)
