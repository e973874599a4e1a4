"""The loss curve of an analysed log: a small text chart for the terminal, or a real figure.

The text chart needs nothing beyond the standard library. `write_figure` uses
matplotlib for .png/.svg and plotly for .html (matplotlib's SVG inside a page
when plotly is missing): optional extras, imported only here.
"""

from __future__ import annotations

import math
import sys
from html import escape
from pathlib import Path
from typing import TextIO

from advisor.errors import InputError

MARKS = {"loss": "•", "val_loss": "o"}
# one letter per event: the detectors find each symptom at most once, so there are never more events than this
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FIGURE_SUFFIXES = (".png", ".svg", ".html")


def _scale(values: list[float]) -> tuple[float, float, bool]:
    low, high = min(values), max(values)
    use_log = low > 0 and high / low > 50
    if use_log:
        low, high = math.log10(low), math.log10(high)
    if high == low:
        high, low = high + 0.5, low - 0.5
    return low, high, use_log


def _free(row: list[str], column: int) -> int:
    """The nearest free column to `column`: two events in one column both stay visible."""
    for distance in range(len(row)):
        for candidate in (column + distance, column - distance):
            if 0 <= candidate < len(row) and row[candidate] == " ":
                return candidate
    return column


def text_chart(analysis, width: int = 64, height: int = 12) -> str:
    """Train and validation loss against step; detected symptoms marked A, B, ... where they began."""
    curves = {k: v for k, v in analysis.curves.items() if v}
    if not curves:
        return f"{analysis.path}: no finite loss values to chart"
    points = [p for pts in curves.values() for p in pts]
    # the axis spans every event too: one that began before the first drawn point (a block-averaged curve
    # starts at its first block's mean step) is marked where it began, not clamped onto the curve's start
    events = [f.step for f in analysis.findings]
    x0 = min(min(p[0] for p in points), *events) if events else min(p[0] for p in points)
    x1 = max(max(p[0] for p in points), *events, x0 + 1e-9)
    low, high, use_log = _scale([p[1] for p in points])
    grid = [[" "] * width for _ in range(height)]

    def column(x: float) -> int:
        return min(width - 1, max(0, round((x - x0) / (x1 - x0) * (width - 1))))

    for name, pts in curves.items():
        for x, y in pts:
            v = math.log10(y) if use_log else y
            row = height - 1 - min(height - 1, max(0, round((v - low) / (high - low) * (height - 1))))
            grid[row][column(x)] = MARKS.get(name, "*")
    label = (lambda v: f"{10 ** v:.3g}") if use_log else (lambda v: f"{v:.3g}")
    lines = []
    for index, row in enumerate(grid):
        tick = label(high) if index == 0 else label(low) if index == height - 1 else ""
        lines.append(f"{tick:>9} │{''.join(row)}")
    marker_row = [" "] * width
    for letter, finding in zip(LETTERS, analysis.findings):
        marker_row[_free(marker_row, column(finding.step))] = letter
    lines.append(" " * 9 + " └" + "─" * width)
    if analysis.findings:
        lines.append(" " * 11 + "".join(marker_row).rstrip())
    axis = "epoch" if analysis.by_epoch else "step"
    left, right = f"{axis} {x0:.6g}", f"{x1:.6g}"
    lines.append(" " * 11 + left + right.rjust(width - len(left)))
    legend = "  ".join(f"{MARKS[k]} {k}" for k in curves) + ("   (log scale)" if use_log else "")
    lines.insert(0, f"{Path(analysis.path).name} ({analysis.format}, {analysis.rows} records)   {legend}")
    for letter, finding in zip(LETTERS, analysis.findings):
        lines.append(f"  {letter} {finding.symptom} from {axis} {finding.step:g}: {finding.evidence}")
    if not analysis.findings:
        lines.append("  no symptom detected in this log")
    return "\n".join(lines)


def show(analysis, stream: TextIO | None = None) -> None:
    print(text_chart(analysis), file=stream or sys.stdout)
    print(file=stream or sys.stdout)


def write_figure(analysis, path: str | Path) -> None:
    """A .png, .svg or .html figure of the loss curves with the detected events marked."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise InputError("plot", f"{path}: use a .png, .svg or .html file name")
    if suffix == ".html":
        try:
            _plotly(analysis, path)
            return
        except ImportError:
            pass
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        raise InputError("plot", "writing figures needs matplotlib (pip install 'training-advisor[plot]')") from None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, pts in analysis.curves.items():
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=name, marker="." if len(pts) < 60 else None)
    values = [p[1] for pts in analysis.curves.values() for p in pts]
    if values and min(values) > 0 and max(values) / min(values) > 50:
        ax.set_yscale("log")
    for letter, finding in zip(LETTERS, analysis.findings):
        ax.axvline(finding.step, color="crimson", alpha=0.5, linestyle="--")
        ax.annotate(f"{letter} {finding.symptom}", (finding.step, 1.0), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", ha="right", fontsize=8, color="crimson")
    ax.set_xlabel("epoch" if analysis.by_epoch else "step")
    ax.set_ylabel("loss")
    ax.set_title(Path(analysis.path).name)
    ax.legend()
    fig.tight_layout()
    if suffix == ".html":
        import io

        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
        items = "".join(f"<li>{escape(str(f))}</li>" for f in analysis.findings)
        path.write_text(f"<!doctype html><meta charset='utf-8'><title>{escape(path.stem)}</title>"
                        f"{buffer.getvalue()}<ul>{items}</ul>\n", encoding="utf-8")
    else:
        fig.savefig(path)
    plt.close(fig)


def _plotly(analysis, path: Path) -> None:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, pts in analysis.curves.items():
        fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], name=name, mode="lines"))
    for finding in analysis.findings:
        fig.add_vline(x=finding.step, line_dash="dash", line_color="crimson",
                      annotation_text=finding.symptom, annotation_hovertext=finding.evidence)
    if analysis.findings:  # shapes do not widen plotly's autorange: an event before the first point would be off it
        xs = [p[0] for pts in analysis.curves.values() for p in pts] + [f.step for f in analysis.findings]
        fig.update_xaxes(range=[min(xs), max(xs)])
    fig.update_layout(title=Path(analysis.path).name, xaxis_title="epoch" if analysis.by_epoch else "step",
                      yaxis_title="loss")
    fig.write_html(str(path), include_plotlyjs=True)
