"""Setup facts read from the code: each as a user writes it, normalised as `diagnose` normalises a setup."""

from __future__ import annotations

from pathlib import Path

from advisor.script import read_script

QLORA = '''
import torch
from transformers import AutoModelForCausalLM, BitsAndBytesConfig, TrainingArguments, Trainer
from peft import LoraConfig, get_peft_model
bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)
model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf", quantization_config=bnb)
model.gradient_checkpointing_enable()
config = LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "v_proj"], lora_dropout=0.05)
model = get_peft_model(model, config)
args = TrainingArguments(output_dir="out", learning_rate=2e-4, per_device_train_batch_size=4, bf16=True,
                         optim="paged_adamw_8bit")
Trainer(model=model, args=args, train_dataset=ds).train()
'''

LIGHTNING = '''
import lightning as L
import torch
from torch.utils.data import DataLoader
class Lit(L.LightningModule):
    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=1e-3, weight_decay=0.05)
trainer = L.Trainer(max_epochs=10, precision="bf16-mixed", gradient_clip_val=1.0)
trainer.fit(Lit(), DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=4))
'''

TORCH = '''
import argparse
import torch
import torchvision
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--batch-size", type=int, default=128)
args = parser.parse_args()
model = torchvision.models.resnet50(weights="IMAGENET1K_V2")
model = torch.nn.parallel.DistributedDataParallel(model)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
scaler = torch.amp.GradScaler("cuda")
'''


def _read(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "train.py"
    path.write_text(text)
    return read_script([path])[0]


def test_qlora_with_the_trainer(tmp_path):
    setup = _read(tmp_path, QLORA)
    assert {k: setup.get(k) for k in ("framework", "model", "pretrained", "fine_tuning", "lora_rank", "lora_targets",
                                      "optimizer", "lr", "batch_size", "precision", "gradient_checkpointing")} == {
        "framework": "huggingface", "model": "llama-2-7b", "pretrained": True, "fine_tuning": "qlora",
        "lora_rank": 16, "lora_targets": "qv", "optimizer": "adamw-8bit", "lr": 2e-4, "batch_size": 4,
        "precision": "bf16", "gradient_checkpointing": True}
    assert setup["model_params"] > 6e9  # the catalog's model fills its size, as in diagnose


def test_lightning_trainer_and_optimizer(tmp_path):
    setup = _read(tmp_path, LIGHTNING)
    assert {k: setup.get(k) for k in ("framework", "optimizer", "lr", "precision", "batch_size")} == {
        "framework": "lightning", "optimizer": "adamw", "lr": 1e-3, "precision": "bf16", "batch_size": 32}


def test_argparse_defaults_torchvision_and_amp(tmp_path):
    setup = _read(tmp_path, TORCH)
    assert {k: setup.get(k) for k in ("framework", "model", "pretrained", "optimizer", "lr", "precision")} == {
        "framework": "pytorch", "model": "resnet50", "pretrained": True, "optimizer": "sgd-plain", "lr": 0.1,
        "precision": "fp16"}


def test_the_setup_is_what_normalize_setup_makes_of_the_code_facts(tmp_path):
    from advisor.script import read_scripts
    from advisor.setup import fields

    path = tmp_path / "train.py"
    path.write_text('from transformers import AutoModel\nm = AutoModel.from_pretrained("my-org/secret-net")\n')
    facts, _ = read_scripts([path])
    setup, _ = read_script([path])
    assert facts["model_id"]["value"] == "my-org/secret-net" and setup["pretrained"] is True
    assert setup == fields.normalize_setup(fields.as_data(setup))
