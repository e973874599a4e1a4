"""The forms people type are accepted and normalised; everything else is refused with the accepted forms."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor import units


@pytest.mark.parametrize("raw, expected", [
    ("7B", 7_000_000_000), ("350M", 350_000_000), ("1.3e9", 1_300_000_000), ("50k", 50_000),
    ("1.2M", 1_200_000), (" 7 b ", 7_000_000_000), ("125_000", 125_000), ("1,000", 1000),
    ("7 billion", 7_000_000_000), (42, 42), (3.0, 3),
])
def test_counts_accept_suffixes(raw, expected):
    assert units.parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["seven", "7X", "", "-5", "0", "1.5", True, "nan", float("inf")])
def test_counts_reject_with_accepted_forms(raw):
    with pytest.raises(ValueError):
        units.parse_count(raw)


@pytest.mark.parametrize("raw, expected", [
    ("8", 8.0), (8, 8.0), ("8GB", 8.0), ("8 gb", 8.0), ("80GiB", 85.899), ("512MB", 0.512), ("24G", 24.0),
])
def test_memory_units(raw, expected):
    assert units.parse_memory_gb(raw) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("raw", ["-1", "0", "eight", "8XB", "1e9", False])
def test_memory_rejects(raw):
    with pytest.raises(ValueError, match="GB|memory|device"):
        units.parse_memory_gb(raw)


@pytest.mark.parametrize("raw, expected", [
    ("1:20", "1:20"), ("20:1", "1:20"), ("5%", "1:19"), ("0.05", "1:19"), ("95%", "1:19"), ("2:3", "1:1.5"),
    ("1/20", "1:20"),
])
def test_ratio_forms_mean_the_same_imbalance(raw, expected):
    assert units.format_ratio(*units.parse_ratio(raw)) == expected


@pytest.mark.parametrize("raw", ["1:0", "0:5", "a:b", "1:2:3", "0%", "100%", "150%", "-1:5", "", "x"])
def test_ratio_rejects(raw):
    with pytest.raises(ValueError, match="class ratio"):
        units.parse_ratio(raw)


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_ratio_is_symmetric(a, b):
    assert units.parse_ratio(f"{a}:{b}") == units.parse_ratio(f"{b}:{a}")


@given(st.text(max_size=20))
def test_parsers_never_crash_on_text(text):
    for parse in (units.parse_count, units.parse_memory_gb, units.parse_ratio, units.parse_bool):
        try:
            parse(text)
        except ValueError:
            pass


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_memory_result_is_positive_and_finite(value):
    try:
        result = units.parse_memory_gb(value)
    except ValueError:
        return
    assert result > 0 and math.isfinite(result)


def test_choice_suggests_nearest():
    with pytest.raises(ValueError, match="did you mean 'fp16'"):
        units.parse_choice("fp61", ("fp32", "fp16", "bf16"))
