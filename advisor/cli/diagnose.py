"""`advisor diagnose`: parse the setup → `pipeline.advise` → render in the chosen format.

`--fail-on` judges every advice item, not only the `--top` shown.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from advisor.cli.core import CONFIG_FILE, SETUP_FILE, _load_setup, _with_setup_options, app
from advisor.errors import AdvisorError
from advisor.files import shown
from advisor.vocabulary import SEVERITIES, at_or_above


class ReportFormat(str, Enum):
    """`diagnose` also speaks the formats CI tools read."""
    terminal = "terminal"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"


Severity = Enum("Severity", {severity: severity for severity in SEVERITIES}, type=str)


def _append_job_summary(path: Path, markdown: str) -> None:
    """Add to the GitHub job summary: the runner's file, shared by the job's steps, so appended to."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown)
    except OSError as exc:
        raise AdvisorError(f"GITHUB_STEP_SUMMARY: cannot append to {shown(path)}: "
                           f"{(exc.strerror or str(exc)).lower()}") from None


@app.command()
@_with_setup_options
def diagnose(
    setup_values: dict,
    setup: Optional[Path] = SETUP_FILE,
    config: Optional[Path] = CONFIG_FILE,
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
    script: list[Path] = typer.Option([], "--script", metavar="FILE",
                                      help="training script(s) to read setup facts and code bugs from "
                                           "(parsed, never run; the flags and the setup file override it)"),
) -> None:
    """Rank advice for a training setup."""
    from advisor import pipeline

    if plot is not None and log is None:
        raise AdvisorError("--plot: draws the curve of a training log; give the log with --log PATH")
    loaded = _load_setup(setup, setup_values, rules, config)
    normalized, rule_paths, used = loaded.setup, loaded.rules, loaded.path
    advised = pipeline.advise(normalized, log=log, rules=rule_paths, script=script, top=top, explain=explain)
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
        from advisor.render import ci, github
        from advisor.setup import setupfile

        location = ci.Location(setupfile.uri(used), setupfile.key_lines(used)) if used else None
        summary = os.environ.get("GITHUB_STEP_SUMMARY") if format is ReportFormat.github else None
        if summary:  # written first: a failed write is never preceded by annotations that point to it
            _append_job_summary(Path(summary), github.summary(report))
        print(ci.render(format.value, report, book, location, summarized=bool(summary)), end="")
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


def _fail_on_exit(fired: list[dict[str, Any]], fail_on: Optional[Severity], exit_zero: bool) -> None:
    """`--fail-on SEVERITY`: exit 1, saying on stderr how many items are at or above it, when any are."""
    if fail_on is None or exit_zero:
        return
    hits = sum(at_or_above(item["severity"], fail_on.value) for item in fired)
    if hits:
        print(f"advisor: {hits} advice item{'s' if hits != 1 else ''} at or above severity {fail_on.value} "
              f"(--fail-on {fail_on.value}): exit 1", file=sys.stderr)
        raise typer.Exit(1)
