"""The library entry point: `diagnose(Setup(...))` or `diagnose({...})` → `Report`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor import pipeline
from advisor.models import Report, Setup


def diagnose(setup: Any = None, /, *, rules: tuple[str | Path, ...] | list[str | Path] = (), top: int | None = None,
             explain: bool = False, **fields: Any) -> Report:
    """Ranked advice for a setup: a `Setup`, a plain dict, or keyword fields (which override the setup's).

    Raises pydantic.ValidationError for bad setup values and advisor.RuleError
    for bad rule files. Rule files are loaded once per process.
    """
    base = Setup.model_validate({} if setup is None else setup)
    if fields:
        base = Setup.model_validate({**base.given(), **fields})
    return Report.model_validate(pipeline.advise(base.given(), rules=rules, top=top, explain=explain).report)
