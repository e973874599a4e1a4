"""`advisor memory` (will it fit, and the cheapest changes that make it fit) and `advisor imbalance`.

Registered on the main typer app by cli.py. The JSON paths import neither
rich nor pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from advisor.cli.core import SETUP_FILE, Format, _load_setup, _with_setup_options, app
from advisor.estimate import memory as memory_fields
from advisor.errors import InputError


def _round(x: float) -> float:
    return round(x, 2)


def memory_report(setup: dict[str, Any], *, margin: float) -> dict[str, Any]:
    """The `advisor memory --format json` object for a normalised setup; every amount is GiB (`*_gib`)."""
    from advisor.estimate import memory, planner

    w = memory.workload_from_setup(setup)
    if w is None:
        raise InputError("model", "name the model: --model NAME (see advisor memory --help), "
                                  "--model-config PATH to a config.json, or --model-params like 7B")
    est = memory.estimate(w)
    report: dict[str, Any] = {
        "model": w.arch.name, "mode": w.mode, "unit": "GiB", "peak_gib": _round(est.peak),
        "breakdown": {k: _round(v) for k, v in est.breakdown().items()},
        "details": {"activations_per_sample_gib": round(est.activations_per_sample, 3),
                    "logits_gib": _round(est.logits), "kv_cache_gib": _round(est.kv_cache),
                    "trainable_params": est.trainable_params, "params": w.arch.params},
        "assumptions": list(est.notes), "fits": None, "plan": [],
    }
    found = planner.plan_setup(setup, margin=margin)
    if found is None:
        report["assumptions"].append("no GPU memory given (--gpu-mem or --gpu): nothing to fit against")
        return report
    _, plan = found
    report.update({
        "gpu_mem_gib": setup["gpu_mem_gib"], "visible_gib": _round(plan.visible_gib),
        "limit_gib": _round(plan.limit_gib), "margin": margin, "fits": plan.fits,
        "fits_with_margin": plan.fits_with_margin, "headroom_gib": _round(plan.visible_gib - est.peak),
        "max_micro_batch": plan.max_micro_batch, "plan": [s.as_dict() for s in plan.steps],
        "plan_fits": plan.final_fits, "final_peak_gib": _round(plan.final.peak) if plan.final else None,
    })
    return report


def _show(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{report['model']} — estimated peak per GPU ({report['mode']})", header_style="bold")
    table.add_column("part")
    table.add_column("GiB", justify="right")
    for part, value in report["breakdown"].items():
        table.add_row(part, f"{value:.2f}")
    table.add_row("[bold]peak[/]", f"[bold]{report['peak_gib']:.2f}[/]")
    console.print(table)
    details = report["details"]
    console.print(f"activations {details['activations_per_sample_gib']:.3f} GiB per sample"
                  + (f", logits {details['logits_gib']:.2f} GiB" if details["logits_gib"] else "")
                  + (f", KV cache {details['kv_cache_gib']:.2f} GiB" if details["kv_cache_gib"] else ""))
    for note in report["assumptions"]:
        console.print(f"[dim]assumed: {note}[/]")
    if report["fits"] is None:
        return
    verdict = "[green]fits[/]" if report["fits_with_margin"] else "[yellow]fits, under the margin[/]" \
        if report["fits"] else "[red]does not fit[/]"
    console.print(f"{verdict} on a {report['gpu_mem_gib']:g} GiB card ({report['visible_gib']:.1f} GiB visible, "
                  f"headroom {report['headroom_gib']:+.2f} GiB; plan keeps {report['margin']:.0%} free)")
    if report["plan"]:
        plan = Table(title="plan: cheapest changes first" if not report["fits_with_margin"]
                     else "plan: using the spare memory", header_style="bold")
        for column in ("#", "change", "new peak GiB", "fits", "why"):
            plan.add_column(column, justify="right" if column in ("#", "new peak GiB") else "left")
        for i, step in enumerate(report["plan"], start=1):
            plan.add_row(str(i), step["title"], f"{step['peak_gib']:.2f}", "yes" if step["fits"] else "no",
                         step["why"])
        console.print(plan)


def _markdown(report: dict[str, Any]) -> str:
    lines = [f"**{report['model']}** ({report['mode']}): estimated peak {report['peak_gib']:.2f} GiB per GPU", "",
             "| part | GiB |", "|---|---:|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in report["breakdown"].items()]
    if report["plan"]:
        lines += ["", "| # | change | new peak GiB | fits | why |", "|---:|---|---:|---|---|"]
        lines += [f"| {i} | {s['title']} | {s['peak_gib']:.2f} | {'yes' if s['fits'] else 'no'} | {s['why']} |"
                  for i, s in enumerate(report["plan"], start=1)]
    return "\n".join(lines)


# The setup fields each command reads, so that its --help lists those and no others.
_MEMORY_FIELDS = ("gpu", "gpu_mem_gib", *memory_fields.ESTIMATE_KEYS, "pretrained")
_IMBALANCE_FIELDS = ("class_counts", "class_ratio", "dataset_size")


@app.command("memory")
@_with_setup_options(only=_MEMORY_FIELDS)
def memory_command(
    setup_values: dict,
    setup: Optional[Path] = SETUP_FILE,
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="output format"),
    margin: float = typer.Option(0.10, "--margin", min=0.0, max=0.9, help="share of GPU memory the plan keeps free"),
) -> None:
    """Estimate peak GPU memory, say whether it fits, and plan the cheapest changes that make it fit."""
    normalized, _ = _load_setup(setup, setup_values, [])
    report = memory_report(normalized, margin=margin)
    if format is Format.json:
        from advisor.render import json_format
        print(json_format.dumps(report))
    elif format is Format.markdown:
        print(_markdown(report))
    else:
        _show(report)


def imbalance_summary(setup: dict[str, Any]):
    """The classmath summary for a normalised setup: from class counts, else from the class ratio."""
    from advisor.estimate import classmath

    if setup.get("class_counts"):
        return classmath.summarize(setup["class_counts"])
    if setup.get("class_ratio"):
        return classmath.summarize_ratio(setup["class_ratio"], setup.get("dataset_size"))
    raise InputError("class_counts", "give --class-counts like 900,80,20 or --imbalance like 1:20")


def _cell(value: Any) -> str:
    """Counts as whole numbers with separators (49,500, not 4.95e+04); weights to four digits."""
    if isinstance(value, list):
        return ", ".join(_cell(x) for x in value)
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


@app.command("imbalance")
@_with_setup_options(only=_IMBALANCE_FIELDS)
def imbalance_command(
    setup_values: dict,
    setup: Optional[Path] = SETUP_FILE,
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="output format"),
) -> None:
    """Class weights, pos_weight, sampler weights, resampling targets and focal-loss alpha."""
    normalized, _ = _load_setup(setup, setup_values, [])
    summary = imbalance_summary(normalized).as_dict()
    if format is Format.json:
        from advisor.render import json_format
        print(json_format.dumps(summary))
        return
    order, assumptions = summary.pop("order"), summary.pop("assumptions")
    rows = [(k, _cell(v)) for k, v in summary.items() if v is not None]
    if format is Format.markdown:
        print("\n".join([f"| quantity | per class ({order}) |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
                        + [""] + [f"*assumed: {note}*" for note in assumptions]))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table("quantity", f"per class ({order})", header_style="bold")
    for key, value in rows:
        table.add_row(key.replace("_", " "), value)
    console = Console()
    console.print(table)
    for note in assumptions:
        console.print(f"[dim]assumed: {escape(note)}[/]")
