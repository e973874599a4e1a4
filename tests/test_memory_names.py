"""Open-world model and card names: never fatal, read for what they state, the reading stated."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.estimate import memory
from advisor.facts import derive
from advisor.setup import architectures, fields, gpus

# (hub id as published, catalog entry or None, parameters its name states, family)
REAL_NAMES = [
    ("meta-llama/Llama-2-7b-hf", "llama-2-7b", None, None),
    ("mistralai/Mistral-7B-Instruct-v0.2", "mistral-7b", None, None),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b", None, None),
    ("Qwen/Qwen2.5-3B-Instruct", "qwen2.5-3b", None, None),
    ("google/gemma-2-9b-it", "gemma-2-9b", None, None),
    ("microsoft/Phi-3-mini-4k-instruct", "phi-3-mini", None, None),
    ("distilbert/distilbert-base-uncased", "distilbert-base", None, None),
    ("google/vit-huge-patch14-224-in21k", "vit-h-14", None, None),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", "llama-3-70b", None, None),
    ("EleutherAI/gpt-neox-20b", None, 20e9, "transformer"),
    ("facebook/opt-350m", None, 350e6, "transformer"),
    ("bigscience/bloom-560m", None, 560e6, "transformer"),
    ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", None, 1.1e9, "transformer"),
    ("tiiuae/falcon-40b", None, 40e9, "transformer"),
    ("microsoft/deberta-v3-large", None, None, "transformer"),
    ("google/flan-t5-xxl", None, None, "transformer"),
    ("Ultralytics/yolov8n", None, None, "cnn"),
    ("facebook/convnext-tiny-224", None, None, "cnn"),
    ("my-resnet", None, None, "cnn"),
    ("sentiment-lstm", None, None, "rnn"),
    ("xgboost-churn", None, None, "tree"),
]


@pytest.mark.parametrize("name,catalog,params,family", REAL_NAMES)
def test_real_names_are_read_for_what_they_state(name, catalog, params, family):
    found = architectures.resolve(name)
    assert found.catalog == catalog
    assert found.params == (int(params) if params else None)
    assert found.family == family
    if catalog is None:
        assert found.notes  # the reading is stated


def test_a_family_word_inside_another_is_not_read_as_it():
    # "deberta" is not a misspelt "bert": no catalog match, its own family word
    assert architectures.resolve("deberta-v3-large").catalog is None
    assert architectures.resolve("llama-2-8b").catalog is None  # a different number is a different model


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=80).filter(str.isprintable))
def test_no_printable_name_is_fatal_to_the_setup(name):
    if not name.strip():
        return
    setup = fields.normalize_setup({"model": name, "gpu_mem_gb": 24})
    facts = derive.derive(setup)
    assert isinstance(facts["model_name_assumption"], str)


@pytest.mark.parametrize("name", ["meta-llama/Llama-2-7b-hf", "Mistral-7B-Instruct-v0.2", "deberta-v3-large",
                                  "yolov8n", "my-resnet"])
def test_diagnose_goes_on_with_a_name_outside_the_catalog(run_json, name):
    report = run_json("--model", name, "--symptom", "oom", "--gpu-mem", "24")
    assert report["facts"]["model"]


def test_a_size_in_the_name_gives_an_estimate_and_says_so(run_cli):
    code, out, err = run_cli("memory", "--model", "EleutherAI/gpt-neox-20b", "--precision", "bf16",
                             "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["details"]["params"] == 20_000_000_000
    assert any("read from its name" in n for n in report["assumptions"])
    assert any("guessed" in n for n in report["assumptions"])


def test_a_name_without_a_size_asks_for_one_in_memory(run_cli):
    code, out, err = run_cli("memory", "--model", "deberta-v3-large")
    assert code == 2 and out == "" and "model:" in err
    code, out, err = run_cli("memory", "--model", "deberta-v3-large", "--model-params", "435M", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["details"]["params"] == 435_000_000


def test_the_estimate_states_how_a_misspelt_name_was_read():
    w = memory.workload_from_setup(fields.normalize_setup({"model": "lama-2-7b"}))
    assert w.arch.name == "llama-2-7b" and any("closest name" in n for n in w.assumptions)


@pytest.mark.parametrize("raw,name,memory_gib", [
    ("NVIDIA A100-SXM4-80GB", "a100-80gb", 80), ("Tesla V100-SXM2-16GB", "v100-16gb", 16),
    ("GeForce RTX 4090", "rtx4090", 24), ("H100 PCIe", "h100", 80), ("NVIDIA L4", "l4", 24),
    ("Quadro RTX 8000 48GB", "quadro-rtx-8000-48gb", 48), ("rtx-a5000", "rtx-a5000", None),
])
def test_card_names(raw, name, memory_gib):
    assert gpus.canonical(raw) == name
    found = gpus.card(name)
    assert (found.memory_gib if found else None) == memory_gib
    assert (gpus.note(name) is None) == (name in gpus.CATALOG)
    if name not in gpus.CATALOG and found:
        assert found.bf16 is None  # unknown, never read as "no bf16"
