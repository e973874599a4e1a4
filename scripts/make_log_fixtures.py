"""Write tests/fixtures/logs/ by running small REAL trainings on the CPU.

Each library writes its own log with its own logger: Hugging Face Trainer
(trainer_state.json), PyTorch Lightning (CSVLogger metrics.csv), Keras 3 on
the torch backend (CSVLogger), and a plain PyTorch loop (CSV and JSON Lines).
Healthy runs beside runs with one fault injected; `expected.json` records,
for every log, the fault and the symptom ids it must produce (an empty list:
a healthy run, on which nothing may be detected).

Needs torch, transformers, accelerate, lightning and keras (not the core
install):

    python3 -m venv /tmp/vlogs && . /tmp/vlogs/bin/activate
    pip install torch==2.13.0 && pip install transformers accelerate lightning keras
    pip install -e . && python scripts/make_log_fixtures.py [names...]

No weights or data sets are downloaded: models are built from configs, data
are drawn from seeded generators.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny models: one thread is fastest and shares a busy machine

import torch  # noqa: E402

torch.set_num_threads(1)
from torch import nn  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "logs"
RUNS = {}
# a saturated or vanishing-gradient model stuck at its start is also underfitting: a labeller reads both there
STUCK = ["underfitting"]


def run(name: str, fault: str, expect: list[str], also: list[str] | None = None):
    """Register a training; `also`: symptoms the same numbers show beside the fault, which may be found too."""
    def register(fn):
        RUNS[name] = (fn, fault, expect, also or [])
        return fn
    return register


# ---- data -------------------------------------------------------------------------------------

def blobs(n: int, *, dim: int = 20, noise: float = 0.0, minority: float | None = None, seed: int = 0):
    """Binary labels from a fixed linear rule; `noise` flips labels; `minority` sets the positive share."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(dim, generator=torch.Generator().manual_seed(1234))
    x = torch.randn(n, dim, generator=g)
    score = x @ w
    if minority is not None:
        cut = torch.quantile(score, 1 - minority)
        y = (score > cut).long()
    else:
        y = (score > 0).long()
    if noise:
        flip = torch.rand(n, generator=g) < noise
        y = torch.where(flip, 1 - y, y)
    return x, y


def mlp(dim: int, width: int, depth: int, act: type[nn.Module] = nn.ReLU, out: int = 2) -> nn.Sequential:
    layers: list[nn.Module] = []
    d = dim
    for _ in range(depth):
        layers += [nn.Linear(d, width), act()]
        d = width
    layers.append(nn.Linear(d, out))
    return nn.Sequential(*layers)


def grad_norm(model: nn.Module) -> float:
    norms = [p.grad.detach().float().norm() for p in model.parameters() if p.grad is not None]
    return float(torch.norm(torch.stack(norms))) if norms else 0.0


# ---- plain PyTorch: the user's own loop writes CSV or JSON Lines --------------------------------

def torch_loop(path: Path, model: nn.Module, opt, data, val, *, steps: int, batch: int = 32, every: int = 10,
               dtype=torch.float32, sched=None, seed: int = 0, clip: float | None = None) -> None:
    torch.manual_seed(seed)
    x, y = data
    xv, yv = val
    loss_fn = nn.CrossEntropyLoss()
    rows = []
    n = len(x)
    per_epoch = max(1, n // batch)
    for step in range(1, steps + 1):
        idx = torch.randint(0, n, (batch,))
        model.train()
        out = model(x[idx].to(dtype))
        loss = loss_fn(out.float(), y[idx])
        opt.zero_grad()
        loss.backward()
        gn = grad_norm(model)
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        lr = opt.param_groups[0]["lr"]
        if sched:
            sched.step()
        row = {"step": step, "epoch": round(step / per_epoch, 3), "loss": loss.item(), "grad_norm": gn,
               "learning_rate": lr,
               "accuracy": (out.argmax(1) == y[idx]).float().mean().item()}
        if step % every == 0:
            model.eval()
            with torch.no_grad():
                vo = model(xv.to(dtype)).float()
                row["val_loss"] = loss_fn(vo, yv).item()
                row["val_accuracy"] = (vo.argmax(1) == yv).float().mean().item()
        rows.append(row)
    keys = ["step", "epoch", "loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "learning_rate"]
    if path.suffix == ".jsonl":
        with open(path, "w") as fh:
            for row in rows:
                fh.write(json.dumps({k: (float(f"{v:.6g}") if isinstance(v, float) and math.isfinite(v) else v)
                                     for k, v in row.items()}) + "\n")
    else:
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, keys)
            w.writeheader()
            for row in rows:
                w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


@run("torch_healthy.csv", "none", [])
def torch_healthy(path):
    torch.manual_seed(0)
    model = mlp(20, 64, 2)
    torch_loop(path, model, torch.optim.Adam(model.parameters(), 1e-3), blobs(2000, noise=0.05),
               blobs(500, noise=0.05, seed=1), steps=400)


@run("torch_healthy_cosine.jsonl", "none (cosine schedule with warmup; loss flattens as the rate decays)", [])
def torch_healthy_cosine(path):
    torch.manual_seed(1)
    model = mlp(20, 64, 2)
    opt = torch.optim.AdamW(model.parameters(), 3e-3, weight_decay=0.01)
    warm, total = 40, 400
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / (total - warm))))
    torch_loop(path, model, opt, blobs(2000, noise=0.1, seed=2), blobs(500, noise=0.1, seed=3), steps=total,
               sched=sched)


@run("torch_lr_too_high.csv", "SGD learning rate 30 (about 1000x too high)", ["diverging-loss"], STUCK)
def torch_lr_high(path):
    torch.manual_seed(0)
    model = mlp(20, 64, 2)
    torch_loop(path, model, torch.optim.SGD(model.parameters(), 30.0, momentum=0.9), blobs(2000),
               blobs(500, seed=1), steps=200)


@run("torch_fp16_no_scaling.csv", "model.half() with Adam and no loss scaling / fp32 master weights", ["nan-loss"])
def torch_fp16(path):
    torch.manual_seed(0)
    model = mlp(20, 64, 3).half()
    torch_loop(path, model, torch.optim.Adam(model.parameters(), 1e-3), blobs(2000), blobs(500, seed=1),
               steps=200, dtype=torch.float16)


@run("torch_deep_sigmoid.csv", "20 sigmoid layers, default init, SGD", ["vanishing-gradients"], STUCK)
def torch_deep_sigmoid(path):
    torch.manual_seed(0)
    model = mlp(20, 32, 20, act=nn.Sigmoid)
    torch_loop(path, model, torch.optim.SGD(model.parameters(), 0.05, momentum=0.9), blobs(2000),
               blobs(500, seed=1), steps=300)


@run("torch_imbalance_1to50.csv", "1:50 label imbalance, unweighted loss", ["minority-class-ignored"])
def torch_imbalance(path):
    torch.manual_seed(0)
    model = mlp(20, 16, 1)
    # weak signal: the minority is only slightly separable, so the unweighted loss settles on the prior
    x, y = blobs(5000, minority=1 / 51, noise=0.0)
    x = x + 4.0 * torch.randn_like(x)
    xv, yv = blobs(2000, minority=1 / 51, seed=1)
    xv = xv + 4.0 * torch.randn_like(xv)
    torch_loop(path, model, torch.optim.SGD(model.parameters(), 0.01), (x, y), (xv, yv), steps=400, every=20)


# ---- Keras 3 (torch backend) with keras.callbacks.CSVLogger -----------------------------------

def keras_fit(path: Path, model, data, val, *, epochs: int, lr: float, batch: int = 32, optimizer: str = "adam",
              loss: str = "sparse_categorical_crossentropy") -> None:
    import keras

    keras.utils.set_random_seed(0)
    opt = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}[optimizer](learning_rate=lr)
    model.compile(optimizer=opt, loss=loss, metrics=["accuracy"])
    model.fit(data[0].numpy(), data[1].numpy(), validation_data=(val[0].numpy(), val[1].numpy()),
              epochs=epochs, batch_size=batch, verbose=0, callbacks=[keras.callbacks.CSVLogger(str(path))])


def keras_mlp(width: int, depth: int, activation: str = "relu", out: int = 2, dim: int = 20, dropout: float = 0.0):
    import keras

    keras.utils.set_random_seed(0)
    layers = [keras.Input((dim,))]
    for _ in range(depth):
        layers.append(keras.layers.Dense(width, activation=activation))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(out, activation="softmax"))
    return keras.Sequential(layers)


@run("keras_healthy.csv", "none", [])
def keras_healthy(path):
    keras_fit(path, keras_mlp(64, 2, dropout=0.2), blobs(2500, noise=0.05), blobs(500, noise=0.05, seed=1),
              epochs=15, lr=1e-3, batch=64)


@run("keras_label_noise_long.csv", "none: 10% of the labels flipped, dropout 0.3, Adam 3e-4 for 60 epochs (the "
     "loss levels off near the noise's floor, training level with validation, accuracy 0.87)", [])
def keras_label_noise_long(path):
    keras_fit(path, keras_mlp(32, 2, dropout=0.3), blobs(5000, noise=0.1), blobs(1000, noise=0.1, seed=1),
              epochs=60, lr=3e-4, batch=64)


@run("keras_linear_noisy_labels.csv", "none: logistic regression on a linear rule with 30% of the labels flipped, "
     "fitted within its first epoch (the loss flat from the second row, accuracy 0.66)", [])
def keras_linear_noisy(path):
    keras_fit(path, keras_mlp(1, 0), blobs(2000, noise=0.3), blobs(500, noise=0.3, seed=1), epochs=20, lr=1e-2)


@run("keras_overfit_tiny_data.csv", "60 samples, 3x512 network, 150 epochs", ["overfitting"])
def keras_overfit(path):
    keras_fit(path, keras_mlp(512, 3), blobs(60, noise=0.15, seed=5), blobs(1000, noise=0.15, seed=6),
              epochs=150, lr=1e-3, batch=16)


@run("keras_imbalance_1to50.csv", "1:50 label imbalance, unweighted loss", ["minority-class-ignored"])
def keras_imbalance(path):
    x, y = blobs(3000, minority=1 / 51)
    xv, yv = blobs(1000, minority=1 / 51, seed=1)
    g = torch.Generator().manual_seed(9)
    x, xv = x + 4.0 * torch.randn(x.shape, generator=g), xv + 4.0 * torch.randn(xv.shape, generator=g)
    keras_fit(path, keras_mlp(16, 1), (x, y), (xv, yv), epochs=25, lr=0.01, optimizer="sgd", batch=128)


@run("keras_deep_sigmoid.csv", "20 sigmoid layers, SGD", ["vanishing-gradients"], STUCK)
def keras_deep_sigmoid(path):
    keras_fit(path, keras_mlp(32, 20, activation="sigmoid"), blobs(1500), blobs(500, seed=1), epochs=25,
              lr=0.05, optimizer="sgd", batch=64)


@run("keras_lr_too_high.csv", "Adam learning rate 5.0", ["diverging-loss"], STUCK)
def keras_lr_high(path):
    keras_fit(path, keras_mlp(64, 2), blobs(1500), blobs(500, seed=1), epochs=25, lr=5.0, batch=64)


# ---- PyTorch Lightning with CSVLogger ----------------------------------------------------------

def lightning_fit(path: Path, net: nn.Module, data, val, *, epochs: int, lr: float, opt: str = "adam",
                  precision="32-true", batch: int = 32, log_every: int = 5) -> None:
    import lightning as L
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger
    from lightning.pytorch.utilities import grad_norm as lgrad_norm
    from torch.utils.data import DataLoader, TensorDataset

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = net

        def training_step(self, batch, _):
            x, y = batch
            out = self.net(x)
            loss = nn.functional.cross_entropy(out.float(), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            self.log("train_acc", (out.argmax(1) == y).float().mean(), on_step=True, on_epoch=True)
            return loss

        def on_before_optimizer_step(self, optimizer):
            self.log_dict(lgrad_norm(self, norm_type=2))

        def validation_step(self, batch, _):
            x, y = batch
            out = self.net(x)
            self.log("val_loss", nn.functional.cross_entropy(out.float(), y))
            self.log("val_acc", (out.argmax(1) == y).float().mean())

        def configure_optimizers(self):
            cls = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[opt]
            return cls(self.parameters(), lr=lr)

    L.seed_everything(0, verbose=False)
    tmp = Path(tempfile.mkdtemp())
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, precision=precision,
                        logger=CSVLogger(tmp, name="run"), callbacks=[LearningRateMonitor()],
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        log_every_n_steps=log_every, num_sanity_val_steps=0)
    trainer.fit(Module(), DataLoader(TensorDataset(*data), batch_size=batch, shuffle=True),
                DataLoader(TensorDataset(*val), batch_size=256))
    metrics = next(tmp.rglob("metrics.csv"))
    keep = _drop_per_layer_norms(metrics)
    path.write_text(keep)
    shutil.rmtree(tmp)


def _drop_per_layer_norms(metrics: Path) -> str:
    """Keep grad_2.0_norm_total, drop the per-parameter norms: the fixture stays a few KB."""
    with open(metrics, newline="") as fh:
        rows = list(csv.reader(fh))
    keep = [i for i, name in enumerate(rows[0]) if not (name.startswith("grad_2.0_norm/") or name.startswith("grad_2.0_norm_") and name != "grad_2.0_norm_total")]
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in rows:
        w.writerow([row[i] for i in keep])
    return buf.getvalue()


@run("lightning_healthy.csv", "none", [])
def lightning_healthy(path):
    torch.manual_seed(0)
    lightning_fit(path, mlp(20, 64, 2), blobs(2000, noise=0.05), blobs(500, noise=0.05, seed=1), epochs=8, lr=1e-3)


@run("lightning_lr_too_high.csv", "SGD learning rate 50", ["diverging-loss"], STUCK)
def lightning_lr_high(path):
    torch.manual_seed(0)
    lightning_fit(path, mlp(20, 64, 2), blobs(2000), blobs(500, seed=1), epochs=5, lr=50.0, opt="sgd")


@run("lightning_fp16_true.csv", "precision='16-true' (fp16 weights, no loss scaling) with Adam", ["nan-loss"])
def lightning_fp16(path):
    torch.manual_seed(0)
    lightning_fit(path, mlp(20, 64, 3), blobs(2000), blobs(500, seed=1), epochs=5, lr=1e-3, precision="16-true")


@run("lightning_deep_sigmoid.csv", "20 sigmoid layers, SGD", ["vanishing-gradients"], STUCK)
def lightning_deep_sigmoid(path):
    torch.manual_seed(0)
    lightning_fit(path, mlp(20, 32, 20, act=nn.Sigmoid), blobs(2000), blobs(500, seed=1), epochs=8, lr=0.05,
                  opt="sgd")


# ---- Hugging Face Trainer on a tiny BERT built from a config -----------------------------------

class TokenTask(torch.utils.data.Dataset):
    """Label 1 when token 7 occurs in a random sequence: learnable by attention, no download."""

    def __init__(self, n: int, seed: int, noise: float = 0.0):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(10, 60, (n, 16), generator=g)
        plant = torch.rand(n, generator=g) < 0.5
        pos = torch.randint(1, 16, (n,), generator=g)
        self.ids[plant, pos[plant]] = 7
        self.ids[:, 0] = 1
        self.labels = plant.long()
        if noise:
            flip = torch.rand(n, generator=g) < noise
            self.labels = torch.where(flip, 1 - self.labels, self.labels)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(16, dtype=torch.long),
                "labels": self.labels[i]}


def hf_train(path: Path, *, train, val, epochs: float, lr: float, hidden: int = 32, layers: int = 2,
             batch: int = 16, logging_steps: int = 5, **extra) -> None:
    import numpy as np
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    torch.manual_seed(0)
    config = BertConfig(vocab_size=64, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=hidden * 2, max_position_embeddings=32, num_labels=2)
    model = BertForSequenceClassification(config)

    def accuracy(pred):
        return {"accuracy": float((np.argmax(pred.predictions, -1) == pred.label_ids).mean())}

    tmp = tempfile.mkdtemp()
    args = TrainingArguments(output_dir=tmp, num_train_epochs=epochs, learning_rate=lr,
                             per_device_train_batch_size=batch, per_device_eval_batch_size=256,
                             logging_steps=logging_steps, eval_strategy="epoch", save_strategy="no",
                             report_to=[], use_cpu=True, seed=0, disable_tqdm=True, **extra)
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val, compute_metrics=accuracy)
    trainer.train()
    trainer.state.save_to_json(str(path))
    shutil.rmtree(tmp)


@run("hf_healthy_trainer_state.json", "none", [])
def hf_healthy(path):
    hf_train(path, train=TokenTask(2000, 0), val=TokenTask(500, 1), epochs=4, lr=1e-3, warmup_steps=30)


@run("hf_lr_too_high_trainer_state.json", "learning_rate 1.0 for AdamW, no clipping", ["diverging-loss"])
def hf_lr_high(path):
    hf_train(path, train=TokenTask(2000, 0), val=TokenTask(500, 1), epochs=3, lr=1.0, max_grad_norm=0.0)


@run("hf_label_noise_trainer_state.json", "none: 30% of the labels flipped (the loss cannot fall below 0.61 from "
     "its 0.69; validation accuracy 0.70, all the labels allow)", [])
def hf_label_noise(path):
    hf_train(path, train=TokenTask(2000, 0, noise=0.3), val=TokenTask(500, 1, noise=0.3), epochs=4, lr=1e-3,
             logging_steps=10, warmup_steps=30)


@run("hf_overfit_tiny_data_trainer_state.json", "48 noisy samples, 4x128 BERT, 60 epochs", ["overfitting"])
def hf_overfit(path):
    hf_train(path, train=TokenTask(48, 0, noise=0.2), val=TokenTask(500, 1, noise=0.2), epochs=60, lr=5e-4,
             hidden=128, layers=4, batch=16, logging_steps=3)


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = OUT / "expected.json"
    expected = json.loads(manifest.read_text()) if manifest.exists() else {}
    for name, (fn, fault, expect, also) in RUNS.items():
        if names and name not in names:
            continue
        print(f"running {name} ...", flush=True)
        fn(OUT / name)
        expected[name] = {"fault": fault, "expect": expect, **({"also": also} if also else {})}
    manifest.write_text(json.dumps(dict(sorted(expected.items())), indent=2) + "\n")
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:>8} {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
