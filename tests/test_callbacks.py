"""The HF Trainer, Lightning and Keras callbacks in REAL tiny CPU trainings: a run with its learning rate far too
high is stopped by the callback at the finding (well before its planned steps), with the finding reported
through `on_finding`; a healthy run trains to the end and reports nothing severe.

Each training is a few hundred tiny steps on the CPU, seeded; no weights or data are downloaded.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.heavy

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402


def blobs(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(8, generator=torch.Generator().manual_seed(1234))
    x = torch.randn(n, 8, generator=g)
    return x, (x @ w > 0).long()


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))


def collect():
    found = []
    return found, found.append


# ---- Hugging Face Trainer -------------------------------------------------------------------------------

class _Classifier(nn.Module):
    """A module the Trainer drives: takes the batch's keys, returns the loss first."""

    def __init__(self):
        super().__init__()
        self.net = mlp()

    def forward(self, x, labels=None):
        logits = self.net(x)
        return {"loss": nn.functional.cross_entropy(logits, labels), "logits": logits}


class _Rows(torch.utils.data.Dataset):
    def __init__(self, n, seed=0):
        self.x, self.y = blobs(n, seed)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


def _hf_train(tmp_path, lr, max_steps=300, optim="adamw_torch"):
    transformers = pytest.importorskip("transformers")
    from advisor.live.callbacks.huggingface import AdvisorCallback

    found, on_finding = collect()
    args = transformers.TrainingArguments(output_dir=str(tmp_path), max_steps=max_steps, logging_steps=2,
                                          learning_rate=lr, per_device_train_batch_size=32, report_to=[],
                                          save_strategy="no", use_cpu=True, disable_tqdm=True, seed=0,
                                          max_grad_norm=0.0, optim=optim)  # 0: no clipping
    callback = AdvisorCallback(on_finding=on_finding, advise=False)
    trainer = transformers.Trainer(model=_Classifier(), args=args, train_dataset=_Rows(2000),
                                   callbacks=[callback])
    trainer.train()
    return found, trainer.state.global_step


def test_hf_trainer_callback_stops_a_diverging_run(tmp_path):
    found, steps = _hf_train(tmp_path, lr=1e3, optim="sgd")  # plain SGD at 1000: the weights overflow
    severe = [f for f in found if f.severe]
    assert severe, [str(f) for f in found]
    assert steps < 300  # stopped at the finding, not after the planned steps


def test_hf_trainer_callback_is_silent_on_a_healthy_run(tmp_path):
    found, steps = _hf_train(tmp_path, lr=1e-3, max_steps=200)
    assert steps == 200 and not [f for f in found if f.severe], [str(f) for f in found]


# ---- Lightning --------------------------------------------------------------------------------------------

def _lightning_train(lr, epochs=8, net=mlp):
    lightning = pytest.importorskip("lightning")
    from advisor.live.callbacks.lightning import AdvisorCallback

    class Module(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = net()

        def training_step(self, batch, _):
            x, y = batch
            return nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_loss", nn.functional.cross_entropy(self.net(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=lr)

    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*blobs(2000)), batch_size=32, shuffle=True,
                                        generator=torch.Generator().manual_seed(0))
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*blobs(500, seed=1)), batch_size=250)
    found, on_finding = collect()
    trainer = lightning.Trainer(max_epochs=epochs, accelerator="cpu", logger=False, enable_checkpointing=False,
                                enable_progress_bar=False, enable_model_summary=False,
                                callbacks=[AdvisorCallback(on_finding=on_finding, advise=False)])
    trainer.fit(Module(), train, val)
    return found, trainer


def test_lightning_callback_stops_a_diverging_run():
    found, trainer = _lightning_train(lr=200.0)
    assert [f for f in found if f.severe], [str(f) for f in found]
    assert trainer.global_step < 8 * 63


def test_lightning_callback_is_silent_on_a_healthy_run():
    found, trainer = _lightning_train(lr=0.05, epochs=3)
    assert trainer.global_step == 3 * 63 and not [f for f in found if f.severe], [str(f) for f in found]
    assert "vanishing-gradients" not in {f.symptom for f in found}  # its layer norms were sent and are healthy


def _deep_sigmoid():
    # 16 sigmoid layers: each passes back at most a quarter of the gradient, so the first layer gets ~1e-10 of
    # what the last one gets (Glorot & Bengio 2010, the saturating-activation case)
    torch.manual_seed(0)
    layers = [nn.Linear(8, 32), nn.Sigmoid()]
    for _ in range(15):
        layers += [nn.Linear(32, 32), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(32, 2))


def test_lightning_callback_sends_layer_norms_and_finds_vanishing_gradients():
    found, _ = _lightning_train(lr=0.05, epochs=1, net=_deep_sigmoid)
    vanishing = [f for f in found if f.symptom == "vanishing-gradients"]
    assert vanishing and "first layer's gradient norm (net.0.weight)" in vanishing[0].evidence, [str(f) for f in found]


# ---- Keras ------------------------------------------------------------------------------------------------

def _keras_fit(optimizer, epochs=40):
    keras = pytest.importorskip("keras")
    from advisor.live.callbacks.keras import AdvisorCallback

    keras.utils.set_random_seed(0)
    x, y = blobs(2000)
    xv, yv = blobs(500, seed=1)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer(keras.optimizers), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    found, on_finding = collect()
    history = model.fit(x.numpy(), y.numpy(), validation_data=(xv.numpy(), yv.numpy()), epochs=epochs,
                        batch_size=64, verbose=0, callbacks=[AdvisorCallback(on_finding=on_finding, advise=False)])
    return found, len(history.history["loss"])


def test_keras_callback_stops_a_diverging_run():
    found, epochs = _keras_fit(lambda o: o.SGD(1e3))  # plain SGD at 1000: the weights overflow
    assert [f for f in found if f.severe], [str(f) for f in found]
    assert epochs < 40


def test_keras_callback_is_silent_on_a_healthy_run():
    found, epochs = _keras_fit(lambda o: o.Adam(1e-3), epochs=15)
    assert epochs == 15 and found == [], [str(f) for f in found]
