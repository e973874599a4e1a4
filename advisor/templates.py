"""Fill rule text and code with facts: `{{name}}`, `{{name:.3g}}`, `{{name|fallback}}`.

Only plain fact names are allowed (no attribute or index access), so a rule
file cannot reach into Python objects. A fallback is inserted verbatim when
the fact is unknown. Single braces are left alone, so code keeps its dicts
and f-strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*(?::([^|}]*?))?\s*(?:\|([^}]*?))?\s*\}\}")
_OPEN = re.compile(r"\{\{")
_SAMPLE = {"number": 1.5, "str": "x", "bool": True, "set": frozenset({"x"})}


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Placeholder:
    name: str
    spec: str
    fallback: str | None


def placeholders(text: str) -> list[Placeholder]:
    """Every placeholder in `text`; TemplateError on a malformed `{{`."""
    found = [Placeholder(m[1], (m[2] or "").strip(), m[3]) for m in _PLACEHOLDER.finditer(text)]
    if len(found) != len(_OPEN.findall(text)):
        bad = next(m.group(0) for m in re.finditer(r"\{\{[^}]*\}?\}?", text) if not _PLACEHOLDER.fullmatch(m.group(0)))
        raise TemplateError(f"malformed placeholder {bad!r}; write {{{{fact}}}}, {{{{fact:.3g}}}} or {{{{fact|fallback}}}}")
    return found


def check_spec(placeholder: Placeholder, kind: str) -> None:
    try:
        format_value(_SAMPLE[kind], placeholder.spec)
    except (ValueError, TypeError):
        raise TemplateError(f"format {placeholder.spec!r} does not apply to {placeholder.name} ({kind})") from None


def format_value(value: Any, spec: str = "") -> str:
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(str(v) for v in value))
    if spec:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:.4g}" if value != int(value) or abs(value) >= 1e6 else str(int(value))
    return str(value)


def render(text: str, facts: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        value = facts.get(match[1])
        if value is None:
            if match[3] is None:  # the loader proves this cannot happen; fail loudly if it does
                raise TemplateError(f"{{{{{match[1]}}}}} is unknown and has no fallback")
            return match[3]
        return format_value(value, (match[2] or "").strip())

    return _PLACEHOLDER.sub(fill, text)
