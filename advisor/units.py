"""Parsers for the forms people type: `8GB`, `7B`, `50k`, `1:20`, `5%`, `yes`.

Each parser takes a raw value (string or number) and returns a normalised one,
or raises ValueError with a message that says which forms are accepted.
"""

from __future__ import annotations

import difflib
import math
import re

_NUMBER = r"-?[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?"

_COUNT_SUFFIX = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_COUNT_WORDS = {"thousand": "k", "million": "m", "billion": "b", "trillion": "t"}
_COUNT_RE = re.compile(rf"^({_NUMBER})\s*([kmbgt]?)$")

_MEMORY_UNITS = {"": 1.0, "g": 1.0, "gb": 1.0, "gib": 2**30 / 1e9, "m": 1e-3, "mb": 1e-3,
                 "mib": 2**20 / 1e9, "t": 1e3, "tb": 1e3, "tib": 2**40 / 1e9}
_MEMORY_RE = re.compile(rf"^({_NUMBER})\s*([a-z]*)$")

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite {what}")
    return value


def _as_text(raw: object) -> str:
    return str(raw).strip().lower().replace("_", "").replace(",", "")


def parse_count(raw: object, *, minimum: int = 1) -> int:
    """`50k`, `1.2M`, `7B`, `1.3e9`, `350 million` -> int."""
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a count")
    if isinstance(raw, (int, float)):
        value = _finite(float(raw), "count")
    else:
        text = _as_text(raw)
        for word, suffix in _COUNT_WORDS.items():
            text = text.replace(word, suffix)
        match = _COUNT_RE.match(text.replace(" ", ""))
        if not match:
            raise ValueError(f"{raw!r} is not a count; use a number with an optional k, M or B suffix, like 350M, 7B, 50k or 1.3e9")
        value = _finite(float(match.group(1)) * _COUNT_SUFFIX[match.group(2)], "count")
    count = round(value)
    if abs(value - count) > 1e-6 * max(1.0, abs(value)):
        raise ValueError(f"{raw!r} is not a whole number")
    if count < minimum:
        raise ValueError(f"{raw!r} is below the minimum of {minimum}")
    return count


def parse_memory_gb(raw: object) -> float:
    """`8`, `8GB`, `80GiB`, `512MB` -> gigabytes (10^9 bytes, as cards are sold)."""
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not an amount of memory")
    if isinstance(raw, (int, float)):
        value = _finite(float(raw), "amount of memory")
    else:
        match = _MEMORY_RE.match(_as_text(raw).replace(" ", ""))
        if not match or match.group(2) not in _MEMORY_UNITS:
            raise ValueError(f"{raw!r} is not an amount of memory; use GB like 8, 8GB, 80GiB or 512MB")
        value = float(match.group(1)) * _MEMORY_UNITS[match.group(2)]
    if value < 0.01:
        raise ValueError(f"{raw!r} must be at least 0.01 GB")
    if value > 100_000:
        raise ValueError(f"{raw!r} GB is more memory than any single device has")
    return round(value, 3)


def parse_positive_float(raw: object, *, what: str, maximum: float | None = None) -> float:
    """`3e-4`, `0.001` -> float > 0."""
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a {what}")
    try:
        value = _finite(float(str(raw).strip()) if isinstance(raw, str) else float(raw), what)
    except (TypeError, ValueError):
        raise ValueError(f"{raw!r} is not a {what}; use a positive number like 3e-4") from None
    if value <= 0:
        raise ValueError(f"{raw!r} must be more than 0")
    if maximum is not None and value > maximum:
        raise ValueError(f"{raw!r} is above the maximum of {maximum:g}")
    return value


def parse_ratio(raw: object) -> tuple[float, float]:
    """Class ratio as (minority, majority) shares.

    `1:20` and `20:1` mean the same imbalance; `5%` and `0.05` give the
    minority's share of the data.
    """
    accepted = "use minority:majority like 1:20 (20:1 means the same), or the minority's share like 5% or 0.05"
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a class ratio; {accepted}")
    text = str(raw).strip().replace(" ", "")
    if ":" in text or "/" in text:
        parts = re.split(r"[:/]", text)
        try:
            a, b = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"{raw!r} is not a class ratio; {accepted}") from None
        if not (math.isfinite(a) and math.isfinite(b)) or a <= 0 or b <= 0:
            raise ValueError(f"{raw!r} is not a class ratio: both sides must be more than 0; {accepted}")
        return (min(a, b), max(a, b))
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{raw!r} is not a class ratio; {accepted}") from None
    if not math.isfinite(share) or not 0 < share < 1:
        raise ValueError(f"{raw!r} is not a class ratio: a share must lie between 0 and 100%; {accepted}")
    share = min(share, 1 - share)
    return (share, 1 - share)


def format_ratio(minority: float, majority: float) -> str:
    """(1, 20) -> '1:20'; (0.05, 0.95) -> '1:19'."""
    return f"1:{majority / minority:.4g}"


def parse_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a yes/no value; use true or false")


def nearest(word: str, choices: object) -> str:
    """' (did you mean X?)' for the closest choice, or ''."""
    by_lower = {str(c).lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean {by_lower[close[0]]!r}?" if close else ""


def parse_choice(raw: object, choices: tuple[str, ...], aliases: dict[str, str] | None = None) -> str:
    """A name from `choices` (case-insensitive; `_` and spaces read as `-`), or one of its aliases."""
    text = str(raw).strip().lower().replace("_", "-").replace(" ", "-")
    if text in choices:
        return text
    if aliases and text in aliases:
        return aliases[text]
    names = list(choices) + list(aliases or ())
    raise ValueError(f"{raw!r} is not accepted; use one of {', '.join(choices)}{nearest(text, names)}")
