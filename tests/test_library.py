"""The library call returns typed objects with the same content as the CLI's JSON."""

import json

import pytest
from pydantic import ValidationError

from advisor import Report, Setup, diagnose


def test_diagnose_with_setup_dict_and_keywords_agree():
    a = diagnose(Setup(gpu_mem_gb=8, class_ratio="1:20"))
    b = diagnose({"gpu_mem_gb": "8GB", "class_ratio": "20:1"})
    c = diagnose(gpu_mem_gb=8, class_ratio="1:20")
    assert isinstance(a, Report)
    assert a == b == c
    assert a.advice[0].strategy and a.facts["class_weight_minority"] == pytest.approx(10.5)


def test_library_matches_cli_json(run_json):
    report = diagnose(Setup(symptoms=["nan-loss"], precision="fp16"))
    cli_report = run_json("--symptom", "nan-loss", "--precision", "fp16")
    assert json.loads(report.model_dump_json(exclude_none=True)) == cli_report


def test_setup_is_validated_like_the_cli():
    with pytest.raises(ValidationError, match="class_ratio"):
        Setup(class_ratio="1:0")
    with pytest.raises(ValidationError, match="gpu_memory"):
        Setup.model_validate({"gpu_memory": 8})
    assert Setup(gpu="t4") == Setup(gpu="t4", gpu_mem_gb=16)  # the card implies its memory
    assert Setup(symptoms=["oom"]).symptoms == ["out-of-memory"]


@pytest.mark.parametrize("bad", ["not a mapping", 3, ["gpu", "t4"]])
def test_a_setup_that_is_not_a_mapping_is_a_validation_error(bad):
    with pytest.raises(ValidationError, match="a setup is a mapping"):
        diagnose(bad)


def test_card_model_and_symptoms_together():
    """A card, a catalog model and declared symptoms: the setup a new user types first (once a TypeError)."""
    setup = {"gpu": "rtx3090", "model": "llama-2-7b", "fine_tuning": "lora", "symptoms": ["out-of-memory"]}
    report = diagnose(setup)
    assert report == diagnose(Setup(**setup)) == diagnose(**setup)
    assert report.advice and report.setup["symptoms"] == ["out-of-memory"]


def test_keywords_override_the_setup_they_come_with():
    assert diagnose({"precision": "fp16"}, precision="bf16").setup["precision"] == "bf16"
    assert diagnose(Setup(precision="fp16"), symptoms=["nan"]).setup == diagnose(
        precision="fp16", symptoms=["nan-loss"]).setup
