"""The setup contract: every field optional, forms normalised, unknown keys refused with a suggestion."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.setup import fields, units
from advisor.errors import InputError

from .setups import setups


def test_card_name_fills_memory_and_accepts_common_spellings():
    assert fields.normalize_setup({"gpu": "RTX 3090"}) == {"gpu": "rtx3090", "gpu_mem_gib": 24.0}
    assert fields.normalize_setup({"gpu": "A100-80GB"})["gpu_mem_gib"] == 80.0
    # an explicit memory wins over the catalog
    assert fields.normalize_setup({"gpu": "t4", "gpu_mem_gb": "15GB"})["gpu_mem_gib"] == 15.0


def test_flags_spellings_and_aliases():
    setup = fields.normalize_setup({"precision": "bfloat16", "framework": "torch", "symptoms": ["OOM", "nan"],
                                    "fine-tuning": "QLoRA", "pretrained": "yes"})
    assert setup == {"precision": "bf16", "framework": "pytorch", "fine_tuning": "qlora", "pretrained": True,
                     "symptoms": ("nan-loss", "out-of-memory")}


@pytest.mark.parametrize("raw, field, hint", [
    ({"gpu_memory": 8}, "gpu_memory", "did you mean 'gpu_mem_gb'"),
    ({"gpu_mem_gb": -1}, "gpu_mem_gb", "below the minimum of 1 GiB"),
    ({"gpu_mem_gib": "1,5"}, "gpu_mem_gb", "not a thousands separator"),
    ({"class_ratio": "1:0"}, "class_ratio", "minority:majority"),
    ({"symptoms": ["foo"]}, "symptoms", "use one of"),
    ({"precision": "fp61"}, "precision", "did you mean 'fp16'"),
    ({"gpu": "rtx9999"}, "gpu", "give gpu_mem_gb too"),
    ({"num_classes": 1}, "num_classes", "minimum of 2"),
    ({"lr": "fast"}, "lr", "positive number"),
    ({"pretrained": "maybe"}, "pretrained", "true or false"),
])
def test_bad_values_name_the_field_and_the_accepted_forms(raw, field, hint):
    with pytest.raises(InputError) as info:
        fields.normalize_setup(raw)
    assert info.value.field == field
    assert hint in str(info.value)
    assert "\n" not in str(info.value)


@given(setups)
def test_random_valid_setups_normalise_idempotently(raw):
    once = fields.normalize_setup(raw)
    assert fields.normalize_setup(once) == once


# --- numbers: one plausible range per field, from the field table -------------------------------

NUMERIC = [f for f in fields.FIELDS if f.kind in ("int", "number")]


def test_every_number_field_declares_its_range():
    assert NUMERIC and all(f.minimum is not None and f.maximum is not None for f in NUMERIC)


@pytest.mark.parametrize("field", NUMERIC, ids=lambda f: f.name)
@pytest.mark.parametrize("raw", ["1e308", 1e308, 10**400, "9" * 400, "-1"])
def test_out_of_range_numbers_are_one_line_errors_naming_the_field(field, raw):
    with pytest.raises(InputError) as info:
        fields.normalize_setup({field.key: raw})
    assert info.value.field == field.key and "\n" not in str(info.value) and len(str(info.value)) < 300


@pytest.mark.parametrize("key", ["lr", "gpu_mem_gb", "class_ratio", "model_params"])
def test_tiny_numbers_are_refused(key):
    with pytest.raises(InputError, match=key):
        fields.normalize_setup({key: "1e-320"})


@pytest.mark.parametrize("key, raw", [("gpu_count", "8G"), ("gpu_count", "8k"), ("depth", "1k"), ("lora_rank", "1M"),
                                      ("zero_stage", "1k"), ("image_size", "2k")])
def test_things_counted_one_by_one_refuse_size_suffixes(key, raw):
    with pytest.raises(InputError, match=f"{key}: .*no size suffix"):
        fields.normalize_setup({key: raw})


@pytest.mark.parametrize("raw, expected", [({"model_params": "1,5B"}, None), ({"gpu_mem_gb": "1,5"}, None),
                                           ({"dataset_size": "1,000,000"}, 1_000_000)])
def test_commas_only_as_thousands_separators(raw, expected):
    if expected is None:
        with pytest.raises(InputError, match="thousands separator"):
            fields.normalize_setup(raw)
    else:
        assert fields.normalize_setup(raw)["dataset_size"] == expected


def test_gpu_memory_is_gib_under_both_keys_and_gb_means_the_card_size():
    by_card = fields.normalize_setup({"gpu": "a100-80gb"})
    for raw in ("80GiB", "80GB", "80", 80, "81920MiB"):
        assert fields.normalize_setup({"gpu_mem_gb": raw}) == {"gpu_mem_gib": 80.0} == {"gpu_mem_gib": by_card["gpu_mem_gib"]}
    assert fields.normalize_setup({"gpu_mem_gib": "24"}) == {"gpu_mem_gib": 24.0}


def test_library_setup_takes_the_documented_key():
    from advisor import Setup

    assert Setup(gpu_mem_gb=8).given() == {"gpu_mem_gib": 8.0} == Setup(gpu_mem_gib="8GB").given()


def test_a_huge_value_or_key_is_not_echoed_whole():
    for raw in ({"model_params": "7" * 100_000 + "x"}, {"k" * 100_000: 1}, {"gpu": "x" * 100_000}):
        with pytest.raises(InputError) as info:
            fields.normalize_setup(raw)
        assert len(str(info.value)) < 2000


_HOSTILE = st.one_of(st.text(max_size=40), st.floats(allow_nan=True, allow_infinity=True),
                     st.integers(-(10**400), 10**400), st.booleans(), st.none(),
                     st.lists(st.integers(-5, 10**14), max_size=4))


@settings(max_examples=100, derandomize=True)
@given(st.sampled_from([f.key for f in fields.FIELDS if f.name != "model_config"]), _HOSTILE)
def test_any_value_normalises_or_is_one_input_error(key, raw):
    try:
        setup = fields.normalize_setup({key: raw})
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert fields.normalize_setup(setup) == setup
    shown = fields.as_data(setup)  # what the JSON output and the library's Setup show reads back as the same
    assert json.loads(json.dumps(shown)) == shown and fields.normalize_setup(shown) == setup


def test_the_setup_is_typed_and_shown_as_it_was_typed():
    setup = fields.normalize_setup({"class_counts": "900, 80, 20", "gpu_mem_gb": "24GB"})
    assert setup["class_counts"] == (900, 80, 20) and setup["class_ratio"] == units.Ratio(1.0, 45.0)
    assert setup["gpu_mem_gib"] == 24.0
    assert fields.as_data(setup) == {"gpu_mem_gib": 24.0, "num_classes": 3, "class_ratio": "1:45",
                                     "class_counts": "900,80,20"}
    # a share is kept as the ratio it shows: the facts use 1:19, not 0.95 / 0.05
    assert fields.normalize_setup({"class_ratio": "5%"})["class_ratio"] == units.Ratio(1.0, 19.0)


def test_class_counts_imply_a_class_ratio_within_its_bounds():
    # the ratio is derived from the counts after parsing: it must be refused as the counts, not later
    # in the library as a class_ratio the user never gave
    with pytest.raises(InputError, match="class_counts.*more than 1,000,000,000 times"):
        fields.normalize_setup({"class_counts": "1,5000000000"})
    implied = fields.normalize_setup({"class_counts": "1,1000000000"})
    assert implied["class_ratio"].imbalance == 1e9 and fields.as_data(implied)["class_ratio"] == "1:1e+09"
