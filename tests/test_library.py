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
    assert Setup(gpu="t4").gpu_mem_gb == 16.0
    assert Setup(symptoms=["oom"]).symptoms == ["out-of-memory"]
