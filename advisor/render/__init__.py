"""Renderings of one report: JSON, markdown, SARIF, GitHub annotations and the rich terminal view."""


def shown_code(item: dict) -> tuple[str, str] | None:
    """(framework, snippet) to show for an advice item: the engine lists the preferred framework first."""
    return next(iter(item["code"].items()), None)


def setup_line(setup: dict) -> str:
    return ", ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in setup.items()) or "(nothing given)"


def sources_text(sources: list[int]) -> str:
    return ", ".join(f"§{s}" for s in sources) if sources else "beyond the source document"
