"""`--config train.yaml`: the setup facts a training config holds, read once, under the setup file and flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.setup import trainconfig

PUBLIC = Path(__file__).parent / "fixtures" / "configs" / "public"


@pytest.mark.parametrize("name, family, expected", [
    ("axolotl_llama3_lora_1b.yml", "axolotl",
     {"model": "llama-3.2-1b", "fine_tuning": "lora", "seq_len": 2048, "lora_rank": 16, "lr": 2e-4, "epochs": 1}),
    ("torchtune_llama3_2_1B_lora_single_device.yaml", "torchtune",
     {"model": "llama-3.2-1b", "fine_tuning": "lora", "lora_rank": 64, "lr": 3e-4, "epochs": 1}),
    ("handbook_zephyr_7b_sft_qlora.yaml", "huggingface",
     {"model": "mistral-7b", "fine_tuning": "qlora", "lora_rank": 16, "lr": 2e-4, "seq_len": 2048, "epochs": 1}),
    ("transformers_ds_config_zero2.json", "deepspeed", {"zero_stage": 2, "offload": "optimizer"}),
    ("deepspeedexamples_bing_bert_squad_bsz24.json", "deepspeed", {"global_batch_size": 24}),
    ("litgpt_llama_3.2_1B_lora.yaml", "lightning",
     {"model": "llama-3.2-1b", "gpu_count": 1, "lora_rank": 32, "num_workers": 4, "global_batch_size": 8,
      "epochs": 2, "seq_len": 512, "lr": 2e-4}),
])
def test_public_configs_give_their_setup_facts(name, family, expected):
    facts = trainconfig.read(PUBLIC / name)
    assert facts.family == family and facts.values == expected and facts.skipped == []


def test_filled_values_are_facts_and_autos_are_not():
    auto = trainconfig.read(PUBLIC / "axolotl_llama3_lora_1b.yml").values
    filled = trainconfig.read(PUBLIC / "axolotl_llama3_lora_1b.filled.yml").values
    assert "batch_size" not in auto and "precision" not in auto  # `auto` says nothing about the run
    assert filled["batch_size"] == 2 and filled["precision"] == "bf16" and filled["gradient_checkpointing"] is False


def test_diagnose_reads_the_config_and_flags_override_it_with_a_note(run_cli):
    config = PUBLIC / "handbook_zephyr_7b_sft_qlora.yaml"
    code, out, err = run_cli("diagnose", "--format", "json", "--config", config, "--gpu", "a10g")
    assert code == 0, err
    setup = json.loads(out)["setup"]
    assert setup["model"] == "mistral-7b" and setup["fine_tuning"] == "qlora" and setup["lr"] == 2e-4
    code, out, err = run_cli("diagnose", "--format", "json", "--config", config, "--gpu", "a10g", "--lr", "1e-3")
    assert json.loads(out)["setup"]["lr"] == 1e-3  # the flag wins
    notes = [line for line in err.splitlines() if "overrides" in line]
    assert len(notes) == 1 and "lr=0.001" in notes[0] and "learning_rate: 0.0002" in notes[0]
    assert "handbook_zephyr_7b_sft_qlora.yaml" in notes[0]


def test_a_flag_for_the_model_replaces_the_configs_whole_model(run_cli):
    code, out, err = run_cli("memory", "--format", "json", "--config", PUBLIC / "axolotl_llama3_lora_1b.yml",
                             "--gpu", "a10g", "--model-params", "350M")
    assert code == 0, err
    assert "llama" not in json.loads(out)["model"]  # not the config's model name beside the flag's size
    assert "model_params=350000000 overrides base_model: llama-3.2-1b" in err


def test_the_setup_file_overrides_the_config_too(run_cli, tmp_path, monkeypatch):
    (tmp_path / "advisor.yaml").write_text("gpu: a10g\nlr: 5e-5\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("diagnose", "--format", "json", "--config", PUBLIC / "axolotl_llama3_lora_1b.yml")
    assert code == 0, err
    assert json.loads(out)["setup"]["lr"] == 5e-5 and "learning_rate: 0.0002" in err


def test_a_config_value_advisor_cannot_read_is_named_not_fatal(run_cli, tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("output_dir: o\nper_device_train_batch_size: -3\nlearning_rate: 2e-5\n")
    code, out, err = run_cli("diagnose", "--format", "json", "--config", config)
    assert code == 0, err
    assert json.loads(out)["setup"]["lr"] == 2e-5
    assert "per_device_train_batch_size" in err and "not read as a setup fact" in err


def test_a_config_that_is_not_a_config_is_one_line_error(run_cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1\n")
    code, out, err = run_cli("diagnose", "--config", bad)
    assert code == 2 and err.count("\n") == 1 and "bad.yaml" in err and "Traceback" not in err
    code, out, err = run_cli("memory", "--config", tmp_path / "missing.yaml", "--model", "bert-base")
    assert code == 2 and "missing.yaml" in err


def test_diagnose_looks_for_the_setup_file_once(run_cli, tmp_path, monkeypatch):
    from advisor.setup import setupfile

    (tmp_path / "advisor.yaml").write_text("gpu: t4\nclass_ratio: '1:20'\n")
    monkeypatch.chdir(tmp_path)
    calls = []
    real = setupfile.find
    monkeypatch.setattr(setupfile, "find", lambda start: calls.append(start) or real(start))
    code, out, _ = run_cli("diagnose", "--format", "sarif")
    assert code == 0 and len(calls) == 1
    assert '"uri": "advisor.yaml"' in out  # the SARIF locations point at the file that was read


_VALUES = st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True), st.booleans(), st.text(max_size=12),
                    st.none(), st.just("auto"))
_KEYS = st.sampled_from(["learning_rate", "per_device_train_batch_size", "bf16", "fp16", "gradient_checkpointing",
                         "max_seq_length", "lora_r", "model_name_or_path", "output_dir", "optim", "use_peft",
                         "load_in_4bit", "num_train_epochs", "dataloader_num_workers"])


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=8))
def test_any_config_values_give_valid_setup_values_or_a_named_skip(data):
    from advisor.fill import families
    from advisor.setup import fields

    leaves = {(key,): value for key, value in data.items()}
    facts = trainconfig.from_leaves(leaves, families.detect(set(data) | {"output_dir"}), "train.yaml")
    fields.normalize_setup(facts.values)  # every fact read is a valid setup value
    assert set(facts.keys) == set(facts.values)
    assert all(skip.split(":")[0] in data for skip in facts.skipped)
