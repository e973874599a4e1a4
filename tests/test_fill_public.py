"""`advisor fill` on real public configs of each family, with some values replaced by `auto`.

The configs and where each came from (repository, commit, licence) are listed in
tests/fixtures/configs/public/README.md. Each is filled for a stated setup and compared with
its `.filled` golden file; the values are also checked against `advisor memory --config`'s plan,
so the golden files cannot drift from the planner. `python tests/test_fill_public.py` rewrites
the golden files (read the diff before keeping it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PUBLIC = Path(__file__).parent / "fixtures" / "configs" / "public"
CORES = ["--cpu-cores", "16"]  # num_workers follows the training machine's cores, not the test machine's

# file → (setup flags, {dotted key: the plan setting its value is})
CASES = {
    "axolotl_llama3_lora_1b.yml": (["--gpu", "a10g", "--global-batch-size", "16"],
                                   {"micro_batch_size": "micro_batch", "gradient_accumulation_steps": "grad_accum",
                                    "gradient_checkpointing": "checkpointing"}),
    "torchtune_llama3_2_1B_lora_single_device.yaml": (
        ["--gpu", "a10g", "--global-batch-size", "32", "--seq-len", "2048"],
        {"batch_size": "micro_batch", "gradient_accumulation_steps": "grad_accum",
         "enable_activation_checkpointing": "checkpointing"}),
    "handbook_zephyr_7b_sft_qlora.yaml": (["--gpu", "a10g", "--global-batch-size", "16"],
                                          {"per_device_train_batch_size": "micro_batch",
                                           "gradient_accumulation_steps": "grad_accum",
                                           "gradient_checkpointing": "checkpointing"}),
    "transformers_ds_config_zero2.json": (
        ["--gpu", "a100-80gb", "--gpus", "8", "--model", "llama-2-7b", "--seq-len", "2048", "--fine-tuning", "full",
         "--global-batch-size", "256", "--dataset-size", "100k", "--epochs", "3"],
        {"train_micro_batch_size_per_gpu": "micro_batch", "gradient_accumulation_steps": "grad_accum",
         "train_batch_size": "global_batch"}),
    "deepspeedexamples_bing_bert_squad_bsz24.json": (
        ["--gpu", "v100", "--gpus", "4", "--model", "bert-large", "--seq-len", "384", "--fine-tuning", "full"],
        {"train_micro_batch_size_per_gpu": "micro_batch"}),
    "litgpt_llama_3.2_1B_lora.yaml": (["--gpu", "a10g", "--fine-tuning", "lora"],
                                      {"train.micro_batch_size": "micro_batch"}),
}


def filled_name(name: str) -> str:
    stem, ext = name.rsplit(".", 1)
    return f"{stem}.filled.{ext}"


def _load(name: str, text: str):
    import yaml

    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def _get(data, dotted: str):
    for key in dotted.split("."):
        data = data[key]
    return data


@pytest.mark.parametrize("name", sorted(CASES))
def test_public_config_fills_to_its_golden_file(run_cli, name):
    flags, _ = CASES[name]
    code, out, err = run_cli("fill", PUBLIC / name, *flags, *CORES)
    assert code == 0, err
    assert out == (PUBLIC / filled_name(name)).read_text(encoding="utf-8")
    before = (PUBLIC / name).read_text(encoding="utf-8").splitlines()
    after = out.splitlines()
    assert len(before) == len(after)  # comments, blank lines and key order stay
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert changed and all("auto" in b and "auto" not in a for b, a in changed)
    assert "auto" not in out.replace("devices: auto", "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_public_config_values_are_the_memory_plans(run_cli, name):
    flags, keys = CASES[name]
    memory_flags = [f for f in flags if f not in ("--dataset-size", "100k", "--epochs", "3")]
    code, report, err = run_cli("memory", "--format", "json", "--config", PUBLIC / name, *memory_flags)
    assert code == 0, err
    settings = json.loads(report)["settings"]
    filled = _load(name, (PUBLIC / filled_name(name)).read_text(encoding="utf-8"))
    for key, setting in keys.items():
        assert _get(filled, key) == settings[setting], key


def test_check_passes_on_every_filled_public_config(run_cli):
    for name, (flags, _) in CASES.items():
        assert run_cli("fill", PUBLIC / name, "--check", *flags, *CORES)[0] == 1
        assert run_cli("fill", PUBLIC / filled_name(name), "--check", *flags, *CORES)[0] == 0


if __name__ == "__main__":  # rewrite the golden files
    from advisor.cli import main

    for name, (flags, _) in CASES.items():
        main(["fill", str(PUBLIC / name), "-o", str(PUBLIC / filled_name(name)), *flags, *CORES])
