"""Parsers for the forms people type: `8GB`, `7B`, `50k`, `1:20`, `5%`, `yes`.

Each parser takes a raw value (string or number) and returns a normalised one,
or raises ValueError with a message that says which forms are accepted. A
message echoes the value it refuses, shortened (`shown`), so a 100k-character
flag value gives one short line.

Numbers: `_` between digits and `,` between thousands groups (`1,000,000`)
are read as separators; any other comma (`1,5`: a decimal comma?) is refused
rather than dropped, since dropping it turns 1.5 into 15.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import NamedTuple

from advisor.files import shown as _shorten

# unambiguous (no two parts can match the same digits), so a failed match backtracks in linear time
_NUMBER = r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?"
_LONGEST = 200  # characters of a number anyone types; longer text is refused before any parsing
_THOUSANDS = re.compile(r"^-?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?![0-9])")  # 0,001 is a decimal comma

_COUNT_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_COUNT_WORDS = {"thousand": "k", "million": "m", "billion": "b", "trillion": "t"}
_COUNT_RE = re.compile(rf"^({_NUMBER})([kmbgt]?)$")

# GPU memory is sold in binary units: an "80 GB" A100 shows 81920 MiB, a "24 GB" RTX 3090 24576 MiB.
# So GB is read as the card's nominal size in GiB, exactly like GiB; MB/MiB are 1/1024 of it.
_MEMORY_UNITS = {"": 1.0, "g": 1.0, "gb": 1.0, "gib": 1.0, "m": 2**-10, "mb": 2**-10, "mib": 2**-10,
                 "t": 2**10, "tb": 2**10, "tib": 2**10}
_MEMORY_RE = re.compile(rf"^({_NUMBER})([a-z]*)$")

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}

COUNT_FORMS = "a whole number like 350M, 7B, 50k, 1.3e9 or 1,000,000"
WHOLE_FORMS = "a whole number like 8 or 1,024 (no size suffix)"
MEMORY_FORMS = "GiB like 24, 24GB, 80GiB or 512MiB (GB is read as the card's size in GiB, as cards are sold)"


def shown(raw: object) -> str:
    """A refused value as a message quotes it: repr, shortened to one short line."""
    return _shorten(repr(raw) if isinstance(raw, str) else str(raw))


def _finite(value: float, raw: object, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{shown(raw)} is not a finite {what}")
    return value


def _separators(raw: object, text: str, forms: str) -> str:
    """`text` with digit separators removed; a comma that is not a thousands separator is refused."""
    if len(text) > _LONGEST:
        raise ValueError(f"{shown(raw)} is too long to be a number; use {forms}")
    text = re.sub(r"(?<=[0-9])_(?=[0-9])", "", text)
    if "," in text:
        match = _THOUSANDS.match(text)
        if not match or "," in text[match.end():]:
            raise ValueError(f"{shown(raw)} has a comma that is not a thousands separator "
                             f"(write 1.5, not 1,5); use {forms}")
        text = text.replace(",", "")
    return text


def _plain(x: float) -> str:
    """A bound as people read it: 100,000 or 0.5, not 1e+05."""
    return f"{int(x):,}" if x == int(x) else f"{x:g}"


def _in_range(value: float | int, raw: object, minimum: float | None, maximum: float | None, unit: str = "") -> None:
    if minimum is not None and value < minimum:
        raise ValueError(f"{shown(raw)} is below the minimum of {_plain(minimum)}{unit}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{shown(raw)} is above the maximum of {_plain(maximum)}{unit}")


def parse_count(raw: object, *, minimum: int = 1, maximum: int | None = None, suffixes: bool = True) -> int:
    """`50k`, `1.2M`, `7B`, `1.3e9`, `350 million`, `1,000,000` -> int in [minimum, maximum].

    `suffixes=False` is for things counted one by one (GPUs, layers, ranks): `8G` GPUs is a typo.
    """
    forms = COUNT_FORMS if suffixes else WHOLE_FORMS
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a count; use {forms}")
    value = _finite(raw, raw, "count") if isinstance(raw, float) else raw if isinstance(raw, int) \
        else _count_text(raw, forms, suffixes)
    count = round(value)
    if isinstance(value, float) and abs(value - count) > 1e-6 * max(1.0, abs(value)):
        raise ValueError(f"{shown(raw)} is not a whole number; use {forms}")
    _in_range(count, raw, minimum, maximum)
    return count


def _count_text(raw: object, forms: str, suffixes: bool) -> int | float:
    text = str(raw).strip().lower().replace(" ", "")
    if suffixes:
        for word, suffix in _COUNT_WORDS.items():
            text = text.replace(word, suffix)
    text = _separators(raw, text, forms)
    match = _COUNT_RE.match(text)
    if not match or (match.group(2) and not suffixes):
        raise ValueError(f"{shown(raw)} is not a count; use {forms}")
    number, suffix = match.group(1), _COUNT_SUFFIX[match.group(2)]
    if re.fullmatch(r"-?[0-9]+", number):
        return int(number) * suffix  # exact for long integers, which float() would round
    return _finite(float(number) * suffix, raw, "count")


def parse_memory_gib(raw: object, *, minimum: float = 1.0, maximum: float = 4096.0) -> float:
    """`24`, `24GB`, `80GiB`, `512MiB` -> GiB (2^30 bytes); GB is the card's nominal size, read as GiB."""
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not an amount of memory; use {MEMORY_FORMS}")
    if isinstance(raw, (int, float)):
        clamped = raw if isinstance(raw, float) else max(-(2**1000), min(raw, 2**1000))  # float() of a huge int fails
        value = _finite(float(clamped), raw, "amount of memory")
    else:
        text = _separators(raw, str(raw).strip().lower().replace(" ", ""), MEMORY_FORMS)
        match = _MEMORY_RE.match(text)
        if not match or match.group(2) not in _MEMORY_UNITS:
            raise ValueError(f"{shown(raw)} is not an amount of memory; use {MEMORY_FORMS}")
        value = _finite(float(match.group(1)) * _MEMORY_UNITS[match.group(2)], raw, "amount of memory")
    _in_range(value, raw, minimum, maximum, " GiB")
    return round(value, 3)


def parse_positive_float(raw: object, *, what: str, minimum: float | None = None, maximum: float | None = None,
                         zero: bool = False) -> float:
    """`3e-4`, `0.001` -> float > 0 (>= 0 with `zero`: a loss or an accuracy can be 0)."""
    example = "a number like 0.5" if zero else "a positive number like 3e-4"
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a {what}; use {example}")
    try:
        value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{shown(raw)} is not a {what}; use {example}") from None
    _finite(value, raw, what)
    if value < 0 or (value == 0 and not zero):
        raise ValueError(f"{shown(raw)} must be {'0 or more' if zero else 'more than 0'}")
    _in_range(value, raw, minimum, maximum)
    return value


MAX_IMBALANCE = 1e9  # majority / minority; beyond it a "class" is a handful of samples in a billion
_RATIO_FORMS = ("use minority:majority like 1:20 (20:1 means the same), or the minority's share like 5% or 0.05, "
                f"at most 1:{MAX_IMBALANCE:,.0f}")


class Ratio(NamedTuple):
    """A class ratio as (minority, majority) relative sizes, minority first."""

    minority: float
    majority: float

    @property
    def imbalance(self) -> float:
        """majority / minority, ≥ 1."""
        return self.majority / self.minority

    @property
    def minority_share(self) -> float:
        return self.minority / (self.minority + self.majority)

    def __str__(self) -> str:
        return format_ratio(self.minority, self.majority)

    def canonical(self) -> Ratio:
        """1 : imbalance to the six digits `str` shows, so the ratio a setup shows is the one its facts use."""
        return Ratio(1.0, float(f"{self.imbalance:.6g}"))


def parse_ratio(raw: object) -> Ratio:
    """Class ratio as (minority, majority) shares.

    `1:20` and `20:1` mean the same imbalance; `5%` and `0.05` give the
    minority's share of the data. A Ratio (a normalised setup's value) is
    checked as its two numbers, not read back from text.
    """
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a class ratio; {_RATIO_FORMS}")
    if isinstance(raw, Ratio):
        sizes = tuple(raw)  # messages show the two numbers: str() of a Ratio with a zero side divides by it
        return _bounded(_sides(sizes, *sizes), sizes)
    text = str(raw).strip().replace(" ", "")
    if ":" in text or "/" in text:
        parts = re.split(r"[:/]", text)
        try:
            a, b = (float(_separators(raw, p, "1:20")) for p in parts)
        except ValueError:
            raise ValueError(f"{shown(raw)} is not a class ratio; {_RATIO_FORMS}") from None
        ratio = _sides(raw, a, b)
    else:
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(f"{shown(raw)} is not a class ratio; {_RATIO_FORMS}") from None
        if not math.isfinite(share) or not 0 < share < 1:
            raise ValueError(f"{shown(raw)} is not a class ratio: a share must lie between 0 and 100%; "
                             f"{_RATIO_FORMS}")
        share = min(share, 1 - share)
        ratio = Ratio(share, 1 - share)
    return _bounded(ratio, raw)


def _sides(raw: object, *sizes: object) -> Ratio:
    """The ratio of two sizes in either order, each a finite number above 0."""
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in sizes):
        raise ValueError(f"{shown(raw)} is not a class ratio; {_RATIO_FORMS}")
    try:
        a, b = (float(x) for x in sizes)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond any float
        a = b = math.inf
    if not (math.isfinite(a) and math.isfinite(b)) or a <= 0 or b <= 0:
        raise ValueError(f"{shown(raw)} is not a class ratio: both sides must be more than 0; {_RATIO_FORMS}")
    return Ratio(min(a, b), max(a, b))


def _bounded(ratio: Ratio, raw: object) -> Ratio:
    if not ratio.imbalance <= MAX_IMBALANCE:  # also catches inf from a tiny minority
        raise ValueError(f"{shown(raw)} is not a class ratio advisor reads: more imbalanced than "
                         f"1:{MAX_IMBALANCE:,.0f}; {_RATIO_FORMS}")
    return ratio


def format_ratio(minority: float, majority: float) -> str:
    """(1, 20) -> '1:20'; (0.05, 0.95) -> '1:19'; six significant digits, so the text parses back."""
    return f"1:{majority / minority:.6g}"


def parse_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{shown(raw)} is not a yes/no value; use true or false")


def nearest(word: str, choices: object) -> str:
    """' (did you mean X?)' for the closest choice, or ''."""
    by_lower = {str(c).lower(): c for c in choices}  # type: ignore[attr-defined]
    close = difflib.get_close_matches(str(word).lower()[:100], list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean {by_lower[close[0]]!r}?" if close else ""


def parse_choice(raw: object, choices: tuple[str, ...], aliases: dict[str, str] | None = None) -> str:
    """A name from `choices` (case-insensitive; `_` and spaces read as `-`), or one of its aliases."""
    text = str(raw).strip().lower().replace("_", "-").replace(" ", "-")
    if text in choices:
        return text
    if aliases and text in aliases:
        return aliases[text]
    names = list(choices) + list(aliases or ())
    raise ValueError(f"{shown(raw)} is not accepted; use one of {', '.join(choices)}{nearest(text, names)}")
