"""Real public training scripts (tests/fixtures/scripts/clean, vendored with their licences) and
variants with planted bugs (buggy/, each planted line marked `# BUG CODEnnn`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.script import read_script, read_scripts

SCRIPTS = Path(__file__).parent / "fixtures" / "scripts"
CLEAN = sorted((SCRIPTS / "clean").glob("*.py"))
BUGGY = sorted((SCRIPTS / "buggy").glob("*.py"))


def test_the_corpus_is_there():
    assert len(CLEAN) >= 7 and len(BUGGY) >= 9


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_scripts_raise_nothing_medium_or_high(path):
    _, findings = read_scripts([path])
    assert [f for f in findings if f["severity"] != "low"] == []


@pytest.mark.parametrize("path", BUGGY, ids=lambda p: p.name)
def test_buggy_scripts_raise_exactly_the_planted_findings(path):
    planted = {(rule, n) for n, line in enumerate(path.read_text().splitlines(), 1)
               for rule in re.findall(r"BUG (CODE\d{3})", line)}
    _, findings = read_scripts([path])
    assert planted and {(f["rule"], f["line"]) for f in findings if f["certain"]} == planted


# genuine problems of upstream example code (found/SOURCES.md): the finding, and nothing else medium or high
FOUND = {
    "lightning_fabric_image_classifier_torch.py": {("CODE013", 70)},
    "peft_pvera_confidence_interval_generation.py": {("CODE003", 35)},
    "pytorch_language_translation.py": {("CODE001", 173)},
}


@pytest.mark.parametrize("name", FOUND)
def test_real_bugs_in_public_examples_are_found(name):
    _, findings = read_scripts([SCRIPTS / "found" / name])
    assert {(f["rule"], f["line"]) for f in findings if f["severity"] != "low"} == FOUND[name]


# facts each real script settles, read from its code (argparse defaults and callers followed)
FACTS = {
    "pytorch_mnist.py": {"framework": "pytorch", "optimizer": "other", "lr": 1.0, "batch_size": 64, "epochs": 14},
    "pytorch_imagenet.py": {"framework": "pytorch", "model": "resnet18", "optimizer": "sgd", "lr": 0.1,
                            "batch_size": 256, "model_family": "cnn"},
    "accelerate_nlp_example.py": {"framework": "huggingface", "optimizer": "adamw", "lr": 2e-5, "pretrained": True,
                                  "fine_tuning": "full"},
    "peft_dora_finetuning.py": {"framework": "huggingface", "fine_tuning": "lora", "lora_rank": 8, "lr": 3e-4,
                                "batch_size": 1, "precision": "fp16", "optimizer": "adamw", "pretrained": True},
    "keras_mnist_convnet.py": {"framework": "keras", "optimizer": "adam", "batch_size": 128},
    "lightning_backbone_image_classifier.py": {"framework": "lightning", "optimizer": "adam"},
    "sklearn_plot_digits_classification.py": {"framework": "sklearn"},
}


@pytest.mark.parametrize("name", FACTS)
def test_setup_facts_read_from_each_script(name):
    setup, _ = read_script([SCRIPTS / "clean" / name])
    assert {key: setup.get(key) for key in FACTS[name]} == FACTS[name]


def test_code_facts_keep_where_they_were_read():
    facts, _ = read_scripts([SCRIPTS / "clean" / "peft_dora_finetuning.py"])
    assert facts["weight_decay"]["value"] == 0.01 and facts["warmup_steps"]["value"] == 100
    assert facts["optimizer"]["value"] == "adamw" and facts["optimizer"]["default"] is True  # TrainingArguments' own
    assert "default" not in facts["lr"]
    assert facts["model_id"] == {"value": "huggyllama/llama-7b", "path": str(SCRIPTS / "clean" /
                                 "peft_dora_finetuning.py"), "line": 70}


def test_a_conditional_branch_is_not_taken_for_a_fact():
    """`if quantize:` with --quantize off by default: the run is LoRA, not QLoRA, and not 4-bit."""
    setup, _ = read_script([SCRIPTS / "clean" / "peft_dora_finetuning.py"])
    assert setup["fine_tuning"] == "lora" and setup["precision"] != "4bit"


def test_several_files_the_first_to_settle_a_fact_wins():
    facts, findings = read_scripts([SCRIPTS / "clean" / "pytorch_mnist.py", SCRIPTS / "clean" / "pytorch_imagenet.py"])
    assert facts["lr"]["value"] == 1.0 and facts["lr"]["path"].endswith("pytorch_mnist.py")
    assert {Path(f["path"]).name for f in findings} == {"pytorch_mnist.py", "pytorch_imagenet.py"}


def test_could_not_tell_is_a_low_note_saying_so():
    """mnist shuffles only when an accelerator is there (`train_kwargs.update(...)` under an if)."""
    _, findings = read_scripts([SCRIPTS / "clean" / "pytorch_mnist.py"])
    (note,) = findings
    assert note["rule"] == "CODE013" and note["severity"] == "low" and not note["certain"]
    assert note["title"].startswith("Could not tell")
