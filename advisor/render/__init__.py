"""Renderings of one report: JSON, markdown, and the rich terminal view."""

FORMATS = ("terminal", "json", "markdown")


def shown_code(item: dict) -> tuple[str, str] | None:
    """(framework, snippet) to show for an advice item: the engine lists the preferred framework first."""
    return next(iter(item["code"].items()), None)


def setup_line(setup: dict) -> str:
    return ", ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in setup.items()) or "(nothing given)"


def sources_text(sources: list[int]) -> str:
    return ", ".join(f"§{s}" for s in sources) if sources else "beyond the source document"
