"""Fill rule text and code with facts: `{{name}}`, `{{name:.3g}}`, `{{name|fallback}}`, `{{name GPU/GPUs}}`.

Only plain fact names are allowed (no attribute or index access), so a rule
file cannot reach into Python objects. A fallback is inserted verbatim when
the fact is unknown. `{{n sample/samples}}` shows the number and the noun that
agrees with it ("1 sample", "2 samples"). Single braces are left alone, so
code keeps its dicts and f-strings.

Templates come from user rule files, so the scanner is one linear pass (no
backtracking regex) and a format spec is limited to the forms rules need,
with a bounded precision: `{{x:1000000000}}` must not allocate a gigabyte.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, NamedTuple

# [grouping][.precision][type]: `,.0f`, `.1%`, `.3g`; no fill, alignment or width.
_SPEC = re.compile(r"([,_]?)(?:\.([0-9]{1,3}))?([efg%]?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAMPLE = {"number": 1.5, "str": "x", "bool": True, "set": frozenset({"x"})}
_FORMS = "{{fact}}, {{fact:.3g}}, {{fact|fallback}} or {{fact noun/nouns}}"
_TOO_LARGE = "(too large to show)"


class TemplateError(ValueError):
    pass


class Placeholder(NamedTuple):
    name: str
    spec: str
    fallback: str | None
    nouns: tuple[str, str] | None = None  # (singular, plural): `{{n sample/samples}}`


Part = str | Placeholder


def placeholders(text: str) -> list[Placeholder]:
    """Every placeholder in `text`; TemplateError on a malformed `{{`."""
    return [p for p in parse(text) if isinstance(p, Placeholder)]


@lru_cache(maxsize=4096)
def parse(text: str) -> tuple[Part, ...]:
    """`text` as literal pieces and placeholders, in one pass; TemplateError on a malformed `{{`."""
    parts: list[Part] = []
    done = 0
    while (start := text.find("{{", done)) >= 0:
        while text.startswith("{", start + 2):  # `{{{x}}}`: the outer braces are text (an f-string's)
            start += 1
        end = text.find("}", start + 2)
        if end < 0 or not text.startswith("}}", end):
            raise _malformed(text[start:end + 1 if end >= 0 else len(text)])
        parts += [text[done:start], _placeholder(text[start + 2:end])]
        done = end + 2
    parts.append(text[done:])
    return tuple(p for p in parts if p != "")


def _malformed(found: str) -> TemplateError:
    shown = found if len(found) <= 60 else found[:57] + "..."
    return TemplateError(f"malformed placeholder {shown!r}; write {_FORMS}")


def _placeholder(body: str) -> Placeholder:
    head, bar, fallback = body.partition("|")
    head = head.strip()
    match = _NAME.match(head)
    if not match:
        raise _malformed("{{" + body + "}}")
    name, rest = match[0], head[match.end():]
    spaced = rest[:1].isspace()  # a noun is set apart by a space: `{{n sample/samples}}`
    rest, spec = rest.lstrip(), ""
    if rest.startswith(":"):
        spec, _, rest = rest[1:].lstrip().partition(" ")
        spaced, rest = True, rest.strip()
    nouns = None
    if rest:
        singular, slash, plural = rest.partition("/")
        if not spaced:
            raise _malformed("{{" + body + "}}")
        if not slash or not singular.strip() or not plural.strip() or "/" in plural:
            raise TemplateError(f"{{{{{name} {rest}}}}}: write the noun as singular/plural, "
                                f"like {{{{{name} sample/samples}}}}")
        nouns = (singular.strip(), plural.strip())
    return Placeholder(name, spec.strip(), fallback.rstrip() if bar else None, nouns)


def check_spec(placeholder: Placeholder, kind: str, max_precision: int) -> None:
    """The placeholder's format spec and noun suit a fact of `kind`; TemplateError says what is accepted."""
    match = _SPEC.fullmatch(placeholder.spec)
    if not match or (match[2] and int(match[2]) > max_precision):
        raise TemplateError(f"format {placeholder.spec!r} of {placeholder.name} is not accepted; use "
                            f"[,][.N][f|g|e|%] with N at most {max_precision}, like :.3g or :,.0f")
    if placeholder.nouns and kind != "number":
        raise TemplateError(f"{{{{{placeholder.name} {'/'.join(placeholder.nouns)}}}}} needs a number; "
                            f"{placeholder.name} is a {kind}")
    try:
        _format(_SAMPLE[kind], placeholder.spec)
    except (ValueError, TypeError):
        raise TemplateError(f"format {placeholder.spec!r} does not apply to {placeholder.name} ({kind})") from None


def format_value(value: Any, spec: str = "") -> str:
    try:
        return _format(value, spec)
    except (OverflowError, ValueError):  # an int beyond float range or Python's int-to-text digit limit
        return _TOO_LARGE


def _format(value: Any, spec: str) -> str:
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(str(v) for v in value))
    if spec:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:.4g}" if not value.is_integer() or abs(value) >= 1e6 else str(int(value))
    return str(value)


def counted(number: object, singular: str, plural: str) -> str:
    """`number` (or its text as shown) with the noun that agrees: "1 problem", "2 problems", "0.5 problems"."""
    shown = str(number)
    return f"{shown} {singular if shown == '1' else plural}"


def _fill(part: Placeholder, facts: dict[str, Any]) -> str:
    value = facts.get(part.name)
    if value is None:
        if part.fallback is None:  # the loader proves this cannot happen; fail loudly if it does
            raise TemplateError(f"{{{{{part.name}}}}} is unknown and has no fallback")
        return part.fallback
    shown = format_value(value, part.spec)
    # the noun agrees with the number as shown, so 1.04 printed as "1" reads "1 sample"
    return shown if part.nouns is None else counted(shown, *part.nouns)


def substitute(text: str, fill: Callable[[Placeholder], str]) -> str:
    """`text` with each placeholder replaced by `fill(placeholder)`."""
    return "".join(p if isinstance(p, str) else fill(p) for p in parse(text))


def render(text: str, facts: dict[str, Any]) -> str:
    return substitute(text, lambda p: _fill(p, facts))
