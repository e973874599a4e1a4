"""`advisor fill` writes one consistent plan: the one `advisor memory` prints for the same setup."""

from __future__ import annotations

import json
import math
import shutil

import pytest

from advisor import fill as filler
from advisor.setup import fields

CONFIG = """\
# Fine-tune Llama 3.2 1B with LoRA (TRL SFTTrainer arguments)
model_name_or_path: meta-llama/Llama-3.2-1B
use_peft: true
lora_r: 16                      # adapter rank
max_seq_length: 2048

# trainer
output_dir: out/llama-lora
learning_rate: 2.0e-4           # chosen by the team
per_device_train_batch_size: auto   # advisor fills
gradient_accumulation_steps: auto
gradient_checkpointing: auto
bf16: auto
num_train_epochs: 1
"""
SETUP = ["--gpu", "a10g", "--global-batch-size", "32"]
# the same run described by flags alone, for `advisor memory` without the config
FLAGS = [*SETUP, "--model", "llama-3.2-1b", "--fine-tuning", "lora", "--lora-rank", "16", "--seq-len", "2048"]


def _yaml(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)


def test_the_commented_config_is_filled_with_memorys_plan(run_cli, tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text(CONFIG)
    assert run_cli("fill", config, "--check", *SETUP)[0] == 1  # it would change
    code, out, err = run_cli("fill", config, "--in-place", *SETUP)
    assert code == 0, err
    text = config.read_text()
    assert "auto" not in text.replace("# advisor fills", "")
    for kept in ("# Fine-tune Llama 3.2 1B with LoRA (TRL SFTTrainer arguments)", "lora_r: 16                      # adapter rank",
                 "learning_rate: 2.0e-4           # chosen by the team", "# advisor fills", "num_train_epochs: 1"):
        assert kept in text
    filled = _yaml(text)
    for args in (["--config", config, *SETUP], FLAGS):  # memory reading the config, and memory from flags
        code, report, err = run_cli("memory", "--format", "json", *args)
        assert code == 0, err
        plan = json.loads(report)["settings"]
        assert filled["per_device_train_batch_size"] == plan["micro_batch"]
        assert filled["gradient_accumulation_steps"] == plan["grad_accum"]
        assert filled["gradient_checkpointing"] is plan["checkpointing"]
        assert filled["bf16"] is (plan["precision"] == "bf16")
        assert plan["micro_batch"] * plan["grad_accum"] == 32  # the global batch asked for, on one GPU
    assert run_cli("fill", config, "--check", *SETUP)[0] == 0  # nothing left to change


def _fill(text: str, **setup) -> filler.Result:
    return filler.fill_text(text, "yaml", fields.normalize_setup(setup))


def test_one_fix_where_one_suffices():
    # bert-base at 32 per T4 does not fit; a smaller micro-batch alone does, so checkpointing stays off
    text = "output_dir: o\nper_device_train_batch_size: auto\ngradient_accumulation_steps: auto\n" \
           "gradient_checkpointing: auto\nfp16: auto\n"
    setup = dict(gpu="t4", model="bert-base", batch_size=32, global_batch_size=32, seq_len=512)
    both = _yaml(_fill(text, **setup).text)
    assert not (both["gradient_checkpointing"] and both["per_device_train_batch_size"] < 32)
    assert both["per_device_train_batch_size"] * both["gradient_accumulation_steps"] == 32
    # filling checkpointing alone around the micro-batch the plan chose gives the same answer
    alone = f"output_dir: o\nper_device_train_batch_size: {both['per_device_train_batch_size']}\n" \
            f"gradient_checkpointing: auto\nfp16: true\n"
    assert _yaml(_fill(alone, **setup).text)["gradient_checkpointing"] is both["gradient_checkpointing"]


def test_checkpointing_first_then_the_batch_when_that_is_what_fits():
    text = "output_dir: o\nper_device_train_batch_size: auto\ngradient_checkpointing: auto\nbf16: auto\n"
    setup = dict(gpu="a10g", model="llama-3.2-1b", fine_tuning="lora", seq_len=8192, batch_size=8)
    filled = _yaml(_fill(text, **setup).text)
    assert filled["gradient_checkpointing"] is True and filled["per_device_train_batch_size"] >= 1
    with pytest.raises(Exception, match="cannot be filled"):  # without checkpointing free, nothing fits
        _fill("output_dir: o\nper_device_train_batch_size: auto\ngradient_checkpointing: false\n", **setup)


def test_precision_the_setup_states_is_used_without_a_card():
    result = _fill("output_dir: o\nbf16: auto\nfp16: auto\n", precision="bf16")
    assert _yaml(result.text) == {"output_dir": "o", "bf16": True, "fp16": False}


def test_no_global_batch_means_accumulation_1_and_the_summary_says_so(run_cli, tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("output_dir: o\nper_device_train_batch_size: auto\ngradient_accumulation_steps: auto\n")
    code, out, err = run_cli("fill", config, "--gpu", "a10g", "--model", "bert-base", "--batch-size", "32")
    assert code == 0, err
    assert "gradient_accumulation_steps: 1\n" in out
    assert "assumed: no global batch given (global_batch_size / --global-batch-size): accumulation 1" in err
    assert "assumed: sequence length 512" in err  # the estimate's own assumptions are listed too


def test_values_the_config_sets_are_planned_around():
    free = _yaml(_fill("output_dir: o\nper_device_train_batch_size: auto\ngradient_checkpointing: auto\n",
                       gpu="t4", model="llama-3.2-1b", fine_tuning="lora", precision="fp16", seq_len=2048,
                       batch_size=16).text)
    kept = _yaml(_fill("output_dir: o\nper_device_train_batch_size: auto\ngradient_checkpointing: true\n",
                       gpu="t4", model="llama-3.2-1b", fine_tuning="lora", precision="fp16", seq_len=2048,
                       batch_size=16).text)
    assert kept["gradient_checkpointing"] is True  # the user's value stays, and the batch uses what it frees
    assert kept["per_device_train_batch_size"] >= free["per_device_train_batch_size"]


def test_eval_batch_is_judged_against_inference_memory():
    setup = dict(gpu="a10g", model="llama-3.2-1b", fine_tuning="lora", seq_len=2048, batch_size=8,
                 global_batch_size=8)
    filled = _fill("output_dir: o\nper_device_train_batch_size: auto\nper_device_eval_batch_size: auto\n", **setup)
    values = _yaml(filled.text)
    assert values["per_device_eval_batch_size"] > values["per_device_train_batch_size"]  # no activations kept
    judged = _fill(f"output_dir: o\nper_device_train_batch_size: {values['per_device_train_batch_size']}\n"
                   f"per_device_eval_batch_size: {values['per_device_eval_batch_size']}\n", **setup)
    assert judged.disagreements == []  # the evaluation batch is not held to the training micro-batch


@pytest.mark.parametrize("cores, gpus, workers", [(32, 4, 7), (8, 1, 7), (4, 8, 1)])
def test_num_workers_from_cores_per_gpu(cores, gpus, workers):
    result = _fill("dataloader_num_workers: auto\noutput_dir: o\n", cpu_cores=cores, gpu_count=gpus)
    assert _yaml(result.text)["dataloader_num_workers"] == workers  # Lightning's max(1, cores // gpus - 1)


def test_num_workers_without_cores_states_the_assumption():
    import os

    result = _fill("dataloader_num_workers: auto\noutput_dir: o\n")
    assert any("os.cpu_count()" in note for note in result.assumptions)
    assert _yaml(result.text)["dataloader_num_workers"] == max(1, (os.cpu_count() or 1) - 1)


def test_deepspeed_optimizer_and_scheduler_from_the_trainer_arguments_beside_it():
    text = ("output_dir: o\nadam_beta1: 0.8\nweight_decay: 0.01\nwarmup_ratio: 0.1\n"
            "per_device_train_batch_size: 8\ngradient_accumulation_steps: 2\n"
            "deepspeed:\n  optimizer:\n    params:\n      betas: auto\n      eps: auto\n      weight_decay: auto\n"
            "  scheduler:\n    params:\n      warmup_min_lr: auto\n      warmup_num_steps: auto\n"
            "      total_num_steps: auto\n")
    result = _fill(text, gpu_count=2, dataset_size=10_000, epochs=3)
    ds = _yaml(result.text)["deepspeed"]
    assert ds["optimizer"]["params"] == {"betas": [0.8, 0.999], "eps": 1e-8, "weight_decay": 0.01}
    total = 3 * math.ceil(10_000 / (8 * 2 * 2))
    assert ds["scheduler"]["params"] == {"warmup_min_lr": 0, "warmup_num_steps": math.ceil(total * 0.1),
                                         "total_num_steps": total}
    assert any("adam_beta2 0.999" in note for note in result.assumptions)  # the default it fell back on


def test_a_run_that_cannot_fit_with_what_the_config_sets_is_a_warning(run_cli, tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("output_dir: o\nbf16: auto\n")
    flags = ["--gpu", "t4", "--model", "llama-2-7b", "--fine-tuning", "full", "--batch-size", "8"]
    code, out, err = run_cli("fill", config, *flags)
    assert code == 0 and "bf16: false" in out and "warning" in err and "does not fit" in err
    assert run_cli("fill", config, "--strict", *flags)[0] == 1


def test_axolotl_and_torchtune_families_are_detected(tmp_path):
    assert _fill("base_model: x\nmicro_batch_size: 4\nbf16: auto\n", gpu="a10g").family == "axolotl"
    result = _fill("checkpointer:\n  _component_: x\nbatch_size: 4\ndtype: auto\n", gpu="t4")
    assert result.family == "torchtune" and "dtype: fp32" in result.text  # torchtune has no fp16 recipes


def test_the_public_fixture_folder_keeps_its_licences():
    from pathlib import Path

    public = Path(__file__).parent / "fixtures" / "configs" / "public"
    readme = (public / "README.md").read_text()
    for config in public.glob("*"):
        if config.suffix in (".yml", ".yaml", ".json") and ".filled." not in config.name:
            assert config.name in readme
    assert "Apache License" in (public / "LICENSE-Apache-2.0.txt").read_text()
    assert "Copyright 2024 Meta" in (public / "LICENSE-BSD-3-Clause-torchtune.txt").read_text()


def test_memory_with_a_torchtune_config_plans_what_fill_can_write(run_cli, tmp_path):
    config = tmp_path / "tt.yaml"
    config.write_text("checkpointer:\n  _component_: x\nmodel:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\n"
                      "batch_size: auto\ndtype: auto\n")
    code, out, err = run_cli("fill", config, "--gpu", "t4", "--seq-len", "1024")
    assert code == 0, err
    code, report, err = run_cli("memory", "--format", "json", "--config", config, "--gpu", "t4", "--seq-len", "1024")
    settings = json.loads(report)["settings"]
    assert settings["precision"] == "fp32" and "dtype: fp32" in out
    assert f"batch_size: {settings['micro_batch']}\n" in out


def test_deepspeed_bucket_sizes_follow_the_hidden_size_as_transformers_fills_them():
    text = ('{"zero_optimization": {"stage": 3, "reduce_bucket_size": "auto", "stage3_prefetch_bucket_size": "auto",'
            ' "stage3_param_persistence_threshold": "auto"}, "train_micro_batch_size_per_gpu": 1}')
    result = filler.fill_text(text, "json", fields.normalize_setup({"model": "llama-2-7b"}))
    zero = json.loads(result.text)["zero_optimization"]
    assert zero == {"stage": 3, "reduce_bucket_size": 4096 ** 2, "stage3_prefetch_bucket_size": int(0.9 * 4096 ** 2),
                    "stage3_param_persistence_threshold": 40960}
