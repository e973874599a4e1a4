"""The forms people type are accepted and normalised; everything else is refused with the accepted forms."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.setup import units


@pytest.mark.parametrize("raw, expected", [
    ("7B", 7_000_000_000), ("350M", 350_000_000), ("1.3e9", 1_300_000_000), ("50k", 50_000),
    ("1.2M", 1_200_000), (" 7 b ", 7_000_000_000), ("125_000", 125_000), ("1,000", 1000),
    ("1,000,000", 1_000_000), ("7 billion", 7_000_000_000), (42, 42), (3.0, 3),
    ("123456789012345678901", 123456789012345678901),  # long integers stay exact
])
def test_counts_accept_suffixes(raw, expected):
    assert units.parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["seven", "7X", "", "-5", "0", "1.5", True, "nan", float("inf"), "1e400",
                                 "1_", "_1"])
def test_counts_reject_with_accepted_forms(raw):
    with pytest.raises(ValueError, match="350M|minimum|whole|finite"):
        units.parse_count(raw)


@pytest.mark.parametrize("raw", ["1,5B", "1,5", "0,001", "12,34", "1,00", "1,0000", ",100", "1,000,00"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused_not_dropped(raw):
    # dropping it read `1,5B` as 15B
    with pytest.raises(ValueError, match="not a thousands separator"):
        units.parse_count(raw)


@pytest.mark.parametrize("raw", ["8G", "8k", "2 thousand", "1B"])
def test_things_counted_one_by_one_take_no_size_suffix(raw):
    with pytest.raises(ValueError, match="no size suffix"):
        units.parse_count(raw, suffixes=False)
    assert units.parse_count("1,024", suffixes=False) == 1024


@pytest.mark.parametrize("raw, bound", [("1e308", "maximum"), (10**400, "maximum"), (1e308, "maximum"),
                                        ("0", "minimum")])
def test_counts_outside_the_range_name_it(raw, bound):
    with pytest.raises(ValueError, match=f"{bound} of 1(00,000)?$"):
        units.parse_count(raw, minimum=1, maximum=100_000)


@pytest.mark.parametrize("raw, expected", [
    ("8", 8.0), (8, 8.0), ("8GB", 8.0), ("8 gb", 8.0), ("80GiB", 80.0), ("80GB", 80.0), ("24G", 24.0),
    ("1536MiB", 1.5), ("1536MB", 1.5), ("1TB", 1024.0), ("1,024", 1024.0),
])
def test_memory_is_gib_and_gb_is_the_size_cards_are_sold_as(raw, expected):
    # an "80 GB" A100 shows 81920 MiB: GB on a card means GiB
    assert units.parse_memory_gib(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "0", "eight", "8XB", "1e9", False, "1,5", "nan", 1e308, 10**400, "512MB"])
def test_memory_rejects(raw):
    with pytest.raises(ValueError, match="GiB|memory"):
        units.parse_memory_gib(raw)


@pytest.mark.parametrize("raw, expected", [
    ("1:20", "1:20"), ("20:1", "1:20"), ("5%", "1:19"), ("0.05", "1:19"), ("95%", "1:19"), ("2:3", "1:1.5"),
    ("1/20", "1:20"), ("1,000:1", "1:1000"),
])
def test_ratio_forms_mean_the_same_imbalance(raw, expected):
    assert str(units.parse_ratio(raw)) == expected


def test_ratio_is_typed_and_exact():
    ratio = units.parse_ratio("1:100")
    assert ratio == units.Ratio(1.0, 100.0) and ratio.imbalance == 100.0
    assert units.parse_ratio(str(units.parse_ratio("7%"))).imbalance == pytest.approx(93 / 7, rel=1e-5)


@pytest.mark.parametrize("raw", ["1:0", "0:5", "a:b", "1:2:3", "0%", "100%", "150%", "-1:5", "", "x",
                                 "1e-320", "1:1e308", "1e-320:1", "1:inf", "1,5:3"])
def test_ratio_rejects(raw):
    with pytest.raises(ValueError, match="class ratio|thousands"):
        units.parse_ratio(raw)


@given(st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_a_ratio_reads_back_as_itself_and_its_canonical_form_as_its_text(a, b):
    ratio = units.parse_ratio(f"{a}:{b}")
    assert units.parse_ratio(ratio) == ratio  # a normalised setup's value is valid input again
    assert ratio.canonical() == units.parse_ratio(str(ratio))  # what is shown is what is used


@pytest.mark.parametrize("sides", [(0, 5), (-1, 5), (1, float("inf")), (1, 10**400), ("1", 5), (1, 1e12)])
def test_a_ratio_value_is_checked_as_text_is(sides):
    with pytest.raises(ValueError, match="class ratio"):
        units.parse_ratio(units.Ratio(*sides))


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_ratio_is_symmetric(a, b):
    assert units.parse_ratio(f"{a}:{b}") == units.parse_ratio(f"{b}:{a}")


_PARSERS = (units.parse_count, units.parse_memory_gib, units.parse_ratio, units.parse_bool,
            lambda raw: units.parse_count(raw, suffixes=False, maximum=100_000),
            lambda raw: units.parse_positive_float(raw, what="learning rate", maximum=100.0))
_NUMBERISH = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789.,_-+e:%/ kKmMgGbBtTiI", max_size=25),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**400), 10**400).map(str),
)


@settings(max_examples=300, derandomize=True)
@given(st.one_of(_NUMBERISH, st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**400), 10**400),
                 st.booleans()))
def test_parsers_give_a_value_or_a_one_line_value_error(raw):
    for parse in _PARSERS:
        try:
            value = parse(raw)
        except ValueError as exc:
            message = str(exc)
            assert "\n" not in message and len(message) < 400
            continue
        if isinstance(value, float):
            assert math.isfinite(value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_memory_result_is_in_range_and_finite(value):
    try:
        result = units.parse_memory_gib(value)
    except ValueError:
        return
    assert 1 <= result <= 4096 and math.isfinite(result)


@pytest.mark.parametrize("parse", _PARSERS)
def test_a_huge_value_is_not_echoed_whole(parse):
    with pytest.raises(ValueError) as info:
        parse("9" * 50 + "x" * 100_000)
    assert len(str(info.value)) < 400 and "…" in str(info.value)


def test_choice_suggests_nearest():
    with pytest.raises(ValueError, match="did you mean 'fp16'"):
        units.parse_choice("fp61", ("fp32", "fp16", "bf16"))
