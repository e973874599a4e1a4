"""The JSON output contract: one object with setup, facts and ranked advice.

Only valid JSON is written (RFC 8259 has no Infinity or NaN): a number that is not finite,
which input bounds should already exclude, is written as null, "no finite value", and
anything else json cannot write raises rather than printing an invalid document.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None, through dicts, lists and tuples."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """The one way this tool writes a JSON document (reports, SARIF)."""
    return json.dumps(finite(value), indent=2, ensure_ascii=False, allow_nan=False)


def render(report: dict) -> str:
    return dumps(report)
