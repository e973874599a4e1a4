"""The setup contract: every field optional, forms normalised, unknown keys refused with a suggestion."""

import pytest
from hypothesis import given

from advisor import fields
from advisor.errors import InputError

from .setups import setups


def test_card_name_fills_memory_and_accepts_common_spellings():
    assert fields.normalize_setup({"gpu": "RTX 3090"}) == {"gpu": "rtx3090", "gpu_mem_gb": 24.0}
    assert fields.normalize_setup({"gpu": "A100-80GB"})["gpu_mem_gb"] == 80.0
    # an explicit memory wins over the catalog
    assert fields.normalize_setup({"gpu": "t4", "gpu_mem_gb": "15GB"})["gpu_mem_gb"] == 15.0


def test_flags_spellings_and_aliases():
    setup = fields.normalize_setup({"precision": "bfloat16", "framework": "torch", "symptoms": ["OOM", "nan"],
                                    "fine-tuning": "QLoRA", "pretrained": "yes"})
    assert setup == {"precision": "bf16", "framework": "pytorch", "fine_tuning": "qlora", "pretrained": True,
                     "symptoms": ("nan-loss", "out-of-memory")}


@pytest.mark.parametrize("raw, field, hint", [
    ({"gpu_memory": 8}, "gpu_memory", "did you mean 'gpu_mem_gb'"),
    ({"gpu_mem_gb": -1}, "gpu_mem_gb", "at least"),
    ({"class_ratio": "1:0"}, "class_ratio", "minority:majority"),
    ({"symptoms": ["foo"]}, "symptoms", "use one of"),
    ({"precision": "fp61"}, "precision", "did you mean 'fp16'"),
    ({"gpu": "rtx9999"}, "gpu", "use one of"),
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
