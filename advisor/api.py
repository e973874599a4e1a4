"""The library entry point: `diagnose(Setup(...))` or `diagnose({...})` → `Report`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from . import engine, rulebook
from .models import Report, Setup


@lru_cache(maxsize=8)
def _book(paths: tuple[Path, ...]) -> rulebook.Rulebook:
    return rulebook.load_rulebook(paths)[0]


def diagnose(setup: Any = None, /, *, rules: tuple[str | Path, ...] | list[str | Path] = (), top: int | None = None,
             explain: bool = False, **fields: Any) -> Report:
    """Ranked advice for a setup: a `Setup`, a plain dict, or keyword fields.

    Raises pydantic.ValidationError for bad setup values and advisor.RuleError
    for bad rule files. Rule files are loaded once per process.
    """
    if setup is None:
        setup = Setup(**fields)
    elif not isinstance(setup, Setup):
        setup = Setup.model_validate({**dict(setup), **fields})
    elif fields:
        setup = Setup.model_validate({**setup.given(), **fields})
    book = _book(tuple(Path(p).resolve() for p in rules))
    return Report.model_validate(engine.run(book, setup.given(), top=top, explain=explain))
