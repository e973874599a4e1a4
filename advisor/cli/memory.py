"""`advisor memory` (will it fit, and the cheapest changes that make it fit) and `advisor imbalance`.

Registered on the main typer app by cli.py. The JSON paths import neither
rich nor pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from advisor.cli.core import CONFIG_FILE, SETUP_FILE, Format, _load_setup, _with_setup_options, app
from advisor.estimate import memory as memory_fields
from advisor.errors import InputError


def _round(x: float) -> float:
    return round(x, 2)


def memory_report(setup: dict[str, Any], *, margin: float, config: Any = None) -> dict[str, Any]:
    """The `advisor memory --format json` object for a normalised setup; every amount is GiB (`*_gib`).

    With a training `config` (its trainconfig.Facts) the plan is `advisor fill`'s for that file: its `auto`
    values are the knobs the plan may change, its other values are kept, and `settings` are what fill writes.
    """
    from advisor.estimate import memory, planner

    w = memory.workload_from_setup(setup)
    if w is None:
        raise InputError("model", "name the model: --model NAME (see advisor memory --help), "
                                  "--model-config PATH to a config.json, or --model-params like 7B")
    est = memory.estimate(w)
    report: dict[str, Any] = {
        "model": w.arch.name, "mode": w.mode, "unit": "GiB",
        # the three readings: nvidia-smi (peak_gib), torch.cuda.max_memory_reserved / _allocated
        "peak_gib": _round(est.peak), "peak_reserved_gib": _round(est.peak_reserved),
        "peak_allocated_gib": _round(est.peak_allocated), "peak_phase": est.phase,
        "phases_allocated_gib": {name: _round(v) for name, v in est.phases},
        "breakdown": {k: _round(v) for k, v in est.breakdown().items()},
        "details": {"activations_per_sample_gib": round(est.activations_per_sample, 3),
                    "logits_gib": _round(est.logits), "kv_cache_gib": _round(est.kv_cache),
                    "trainable_params": est.trainable_params, "params": w.arch.params},
        "assumptions": list(est.notes), "fits": None, "plan": [],
    }
    if config is not None:
        from advisor.fill import config_request

        free, constraints = config_request(config.doc, config.family)  # fill's request: the plans are one
        accum, precisions = constraints.pop("grad_accum", None), constraints.pop("precisions", None)
        found = planner.plan_setup({**setup, **constraints}, margin=margin, free=free, accum=accum,
                                   precisions=precisions)
    else:
        found = planner.plan_setup(setup, margin=margin)
    if found is None:
        report["assumptions"].append("no GPU memory given (--gpu-mem or --gpu): nothing to fit against")
        return report
    _, plan = found
    report["plan_assumptions"] = [*planner.assumptions(plan.final, free if config is not None else planner.FREE),
                                  *plan.notes] if plan.final else plan.notes
    report.update({
        "gpu_mem_gib": setup["gpu_mem_gib"], "visible_gib": _round(plan.visible_gib),
        "limit_gib": _round(plan.limit_gib), "margin": margin, "fits": plan.fits,
        "fits_with_margin": plan.fits_with_margin, "headroom_gib": _round(plan.visible_gib - est.peak),
        "max_micro_batch": plan.max_micro_batch, "plan": [s.as_dict() for s in plan.steps],
        "plan_fits": plan.final_fits, "final_peak_gib": _round(plan.final.peak) if plan.final else None,
        "settings": plan.settings.as_dict() if plan.settings else None,
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
        table.add_row(part.replace("_", " "), f"{value:.2f}")
    table.add_row("peak allocated (max_memory_allocated)", f"{report['peak_allocated_gib']:.2f}")
    table.add_row("peak reserved (max_memory_reserved)", f"{report['peak_reserved_gib']:.2f}")
    table.add_row("[bold]peak as nvidia-smi shows it[/]", f"[bold]{report['peak_gib']:.2f}[/]")
    console.print(table)
    console.print(f"peak in the {report['peak_phase']} phase (allocated: "
                  + ", ".join(f"{name} {v:.2f}" for name, v in report["phases_allocated_gib"].items()) + " GiB)")
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
    if report.get("settings"):
        console.print(f"settings: {settings_line(report['settings'])}")
    for note in report.get("plan_assumptions", ()):
        console.print(f"[dim]plan assumes: {note}[/]")


def settings_line(s: dict[str, Any]) -> str:
    """The plan's values in one line, as `fill` writes them."""
    return (f"micro-batch {s['micro_batch']} × accumulation {s['grad_accum']} × {s['gpu_count']} GPU(s) = global "
            f"batch {s['global_batch']}; {s['precision']}; gradient checkpointing "
            f"{'on' if s['checkpointing'] else 'off'}; optimizer {s['optimizer']}; ZeRO stage {s['zero_stage']}; "
            f"offload {s['offload']}; fine-tuning {s['fine_tuning']}")


def _markdown(report: dict[str, Any]) -> str:
    lines = [f"**{report['model']}** ({report['mode']}): estimated peak {report['peak_gib']:.2f} GiB per GPU "
             f"as nvidia-smi shows it, in the {report['peak_phase']} phase", "", "| part | GiB |", "|---|---:|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in report["breakdown"].items()]
    lines += [f"| peak allocated | {report['peak_allocated_gib']:.2f} |",
              f"| peak reserved | {report['peak_reserved_gib']:.2f} |", f"| peak (nvidia-smi) | {report['peak_gib']:.2f} |"]
    if report["plan"]:
        lines += ["", "| # | change | new peak GiB | fits | why |", "|---:|---|---:|---|---|"]
        lines += [f"| {i} | {s['title']} | {s['peak_gib']:.2f} | {'yes' if s['fits'] else 'no'} | {s['why']} |"
                  for i, s in enumerate(report["plan"], start=1)]
    if report.get("settings"):
        lines += ["", f"Settings: {settings_line(report['settings'])}"]
    lines += [f"*plan assumes: {note}*" for note in report.get("plan_assumptions", ())]
    return "\n".join(lines)


# The setup fields each command reads, so that its --help lists those and no others.
_MEMORY_FIELDS = ("gpu", "gpu_mem_gib", *memory_fields.ESTIMATE_KEYS, "pretrained", "global_batch_size")
_IMBALANCE_FIELDS = ("class_counts", "class_ratio", "dataset_size")


@app.command("memory")
@_with_setup_options(only=_MEMORY_FIELDS)
def memory_command(
    setup_values: dict,
    setup: Optional[Path] = SETUP_FILE,
    config: Optional[Path] = CONFIG_FILE,
    format: Format = typer.Option(Format.terminal, "--format", "-f", help="output format"),
    margin: float = typer.Option(0.10, "--margin", min=0.0, max=0.9, help="share of GPU memory the plan keeps free"),
) -> None:
    """Estimate peak GPU memory, say whether it fits, and plan the cheapest changes that make it fit.

    With --config the plan changes only what that config leaves `auto`: it is the plan `advisor fill` writes.
    """
    loaded = _load_setup(setup, setup_values, [], config)
    report = memory_report(loaded.setup, margin=margin, config=loaded.config)
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
    normalized = _load_setup(setup, setup_values, []).setup
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
