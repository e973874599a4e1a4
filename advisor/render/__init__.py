"""Renderings of one report: JSON, markdown, SARIF, GitHub annotations and the rich terminal view."""

from __future__ import annotations

from typing import Any

# Counts from this size on read better abbreviated (6.74B, 50k); smaller ones are shown whole.
_ABBREVIATE_FROM = 10_000
_COUNT_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def shown_code(item: dict) -> tuple[str, str] | None:
    """(framework, snippet) to show for an advice item: the engine lists the preferred framework first."""
    return next(iter(item["code"].items()), None)


def human_count(value: int) -> str:
    """6738415616 -> '6.74B', 50000 -> '50k', 512 -> '512': the forms people type (and the CLI accepts)."""
    if abs(value) < _ABBREVIATE_FROM:
        return str(value)
    # 999,600 rounds to 1.00M, not 1e+03k: a suffix applies from where 3 digits round up to it
    scale, suffix = next((s, x) for s, x in _COUNT_SUFFIXES if abs(value) >= s * 0.9995)
    shown = f"{value / scale:.3g}"
    return f"{shown}{suffix}" if "e" not in shown else f"{value:.3g}"


def human_value(name: str, value: Any) -> str:
    """A setup value as people read it; the JSON keeps the exact value."""
    from advisor.setup.fields import BY_NAME

    field = BY_NAME.get(name)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return human_count(value)
    if isinstance(value, float) and field is not None and field.unit:
        return f"{value:g} {field.unit}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def setup_line(setup: dict) -> str:
    return ", ".join(f"{k}={human_value(k, v)}" for k, v in setup.items()) or "(nothing given)"


def sources_text(sources: list[int]) -> str:
    return ", ".join(f"§{s}" for s in sources) if sources else "beyond the source document"


def cli_hint(missing: dict, mark: str = "") -> str:
    """A missing-fact hint for command-line users: the engine's wording, with the flag and the setup key.

    `mark` wraps each of the two (a backtick for markdown).
    """
    from advisor.rank.questions import hint_text

    how = f"{mark}{missing['flag']}{mark} / {mark}{missing['field']}:{mark}"
    return hint_text(missing["field"], missing["rules"], how=how)


def evidence_lines(item: dict) -> list[str]:
    """The evidence that ranked an item, for and against, as '+ text' / '− text' lines."""
    return [f"+ {e['text']}" for e in item.get("evidence_for", [])] + \
           [f"− {e['text']}" for e in item.get("evidence_against", [])]


def problems_line(report: dict) -> str:
    """'out of memory; the estimated training peak 131 GiB exceeds ...': what the advice addresses."""
    return "; ".join(p["text"] for p in report.get("problems", []))
