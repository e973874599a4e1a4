"""The standard contexts of the snippet contract (rules/README.md), small and offline.

Each snippet runs in a fresh namespace holding exactly the names its framework
promises. The data follows the setup it was rendered for: its number of
classes (at most MAX_CLASSES) and its class ratio (at most MAX_RATIO, with
MINORITY samples in the rarest class), and its model family picks the input
kind (tabular features, small images, token ids). Hugging Face models are
built from a tiny config, saved once to a local checkpoint and loaded back
with `from_pretrained`, so nothing is ever downloaded.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before any framework import: Keras 3 on the torch backend (no TensorFlow), and no network for the hub.
os.environ.setdefault("KERAS_BACKEND", "torch")
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    os.environ[_var] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")
# Tiny models gain nothing from threads, and on a busy 2-core machine OpenMP's spinning threads make
# each step 10-20x slower.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from .runner import freeze_imports  # noqa: E402

MAX_CLASSES = 12  # a 1000-class setup runs with 12: the same code paths on small data
MAX_RATIO = 20.0
MINORITY = 8  # rarest class: SMOTE's 5 neighbours and 5 stratified folds both need a few
BALANCED = 24  # per class when the setup states no imbalance
FEATURES = 8
IMAGE = (3, 8, 8)
SEQ_LEN, VOCAB = 16, 60
BASE_PACKAGES = {  # pip names every snippet of the framework may import without declaring them
    "pytorch": ("torch", "numpy"),
    "lightning": ("lightning", "torch", "numpy"),
    "huggingface": ("transformers", "torch", "numpy", "datasets"),
    "keras": ("keras", "numpy"),
    "sklearn": ("scikit-learn", "numpy", "scipy"),
    "tensorflow": ("tensorflow", "numpy"),
}


@dataclass(frozen=True)
class Shape:
    """What a context is built from; equal shapes give equal data."""

    framework: str
    counts: tuple[int, ...]  # training samples per class; class 0 the most frequent
    kind: str  # tabular | image | tokens | sequence (pytorch, keras, sklearn); classifier | causal-lm (huggingface)
    family: str
    activation: str = "relu"  # the hidden activation of the tabular and sequence models (the setup's `activation`)

    @property
    def classes(self) -> int:
        return len(self.counts)

    def label(self) -> str:
        ratio = self.counts[0] / self.counts[-1]
        act = "" if self.activation == "relu" else f"-{self.activation}"
        return f"{self.classes}cls-{'1:%g' % round(ratio, 1) if ratio > 1 else 'balanced'}-{self.kind}{act}"


def shape_for(framework: str, facts: dict[str, Any]) -> Shape:
    k = int(min(max(facts.get("num_classes") or 2, 2), MAX_CLASSES))
    ratio = float(min(facts.get("imbalance_ratio") or 1.0, MAX_RATIO))
    if ratio <= 1.0:
        counts = (BALANCED,) * k
    else:  # geometric from the majority (class 0) down to the minority (class k-1)
        counts = tuple(int(round(MINORITY * ratio ** ((k - 1 - i) / (k - 1)))) for i in range(k))
    wanted = 2 * int(facts.get("suggested_micro_batch") or 0)  # a loader that drops its last batch still yields
    if sum(counts) < wanted:
        counts = tuple(c * -(-wanted // sum(counts)) for c in counts)
    family = facts.get("model_family") or "other"
    if framework == "huggingface":
        task = facts.get("task")
        # a model of a billion parameters with no task stated is taken for a causal language model
        llm = task is None and (facts.get("model_params") or 0) >= 1e9
        kind = "causal-lm" if task in ("language-modeling", "seq2seq") or llm else "classifier"
    elif (family == "cnn" or facts.get("image_size")) and framework in ("pytorch", "lightning", "keras"):
        kind = "image"
    elif family == "transformer" and framework in ("pytorch", "lightning"):
        kind = "tokens"
    elif family == "rnn" and framework in ("pytorch", "lightning", "keras"):
        kind = "sequence"  # (N, SEQ_LEN, FEATURES) through an LSTM: recurrent weights are what the code must handle
    else:
        kind = "tabular"
    activation = facts.get("activation") if facts.get("activation") in ("sigmoid", "tanh") else "relu"
    return Shape(framework, counts, kind, family, activation)


# ------------------------------------------------------------------ data

def _rng(shape: Shape, salt: int) -> np.random.Generator:
    return np.random.default_rng([shape.classes, *shape.counts[:2], len(shape.kind), salt])


def _labels(counts: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    return rng.permutation(y).astype(np.int64)


def _val_counts(counts: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(max(4, n // 2) for n in counts)


def _inputs(kind: str, y: np.ndarray, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    if kind == "tokens":
        # each class prefers its own band of token ids; 0 is padding
        band = 1 + (y[:, None] * 4 + rng.integers(0, 12, size=(len(y), SEQ_LEN))) % (VOCAB - 1)
        noise = rng.integers(1, VOCAB, size=band.shape)
        return np.where(rng.random(band.shape) < 0.7, band, noise).astype(np.int64)
    if kind == "sequence":  # each time step is the class centre plus noise
        x = centres[y][:, None, :] + rng.normal(0.0, 1.0, size=(len(y), SEQ_LEN, centres.shape[1]))
        return x.astype(np.float32)
    x = centres[y] + rng.normal(0.0, 1.0, size=(len(y), centres.shape[1]))
    x = x.astype(np.float32)
    return x.reshape(len(y), *IMAGE) if kind == "image" else x


def arrays(shape: Shape) -> dict[str, np.ndarray]:
    """Training and validation arrays for the shape (channels-first images)."""
    rng = _rng(shape, 0)
    width = int(np.prod(IMAGE)) if shape.kind == "image" else FEATURES
    centres = rng.normal(0.0, 1.2, size=(shape.classes, width))
    y_train = _labels(shape.counts, rng)
    y_val = _labels(_val_counts(shape.counts), rng)
    return {"x_train": _inputs(shape.kind, y_train, rng, centres), "y_train": y_train,
            "x_val": _inputs(shape.kind, y_val, rng, centres), "y_val": y_val}


# ------------------------------------------------------------------ pytorch / lightning

def _classifier_class():
    """Created once, on first use (torch is optional), and published at module level so that it pickles."""
    if "Classifier" in globals():
        return globals()["Classifier"]
    import torch.nn as nn

    class Classifier(nn.Module):
        """A small classifier for tabular features, images or token ids."""

        def __init__(self, kind: str, classes: int, activation: str = "relu") -> None:
            super().__init__()
            self.kind = kind
            act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh}.get(activation, nn.ReLU)
            if kind == "sequence":
                self.rnn = nn.LSTM(FEATURES, 16, num_layers=2, batch_first=True)
                self.head = nn.Linear(16, classes)
            elif kind == "image":
                self.body = nn.Sequential(nn.Conv2d(IMAGE[0], 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                                          nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.1))
                self.head = nn.Linear(8, classes)
            elif kind == "tokens":
                self.embed = nn.Embedding(VOCAB, 16, padding_idx=0)
                self.encoder = nn.TransformerEncoder(
                    nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.1, batch_first=True),
                    num_layers=1, enable_nested_tensor=False)
                self.head = nn.Linear(16, classes)
            else:
                self.body = nn.Sequential(nn.Linear(FEATURES, 32), act(), nn.Dropout(0.1),
                                          nn.Linear(32, 32), act())
                self.head = nn.Linear(32, classes)

        def forward(self, x):
            if self.kind == "tokens":
                return self.head(self.encoder(self.embed(x)).mean(dim=1))
            if self.kind == "sequence":
                return self.head(self.rnn(x)[0][:, -1])
            return self.head(self.body(x))

    Classifier.__qualname__ = "Classifier"
    globals()["Classifier"] = Classifier
    return Classifier


def _torch_model(shape: Shape):
    return _classifier_class()(shape.kind, shape.classes, shape.activation)


def torch_context(shape: Shape) -> dict[str, Any]:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    data = arrays(shape)
    torch.manual_seed(0)
    model = _torch_model(shape)
    train_dataset = TensorDataset(torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"]))
    val_dataset = TensorDataset(torch.from_numpy(data["x_val"]), torch.from_numpy(data["y_val"]))
    return {
        "model": model,
        "optimizer": torch.optim.AdamW(model.parameters(), lr=1e-3),
        "train_loader": DataLoader(train_dataset, batch_size=16, shuffle=True),
        "val_loader": DataLoader(val_dataset, batch_size=32),
        "train_dataset": train_dataset,
        "num_classes": shape.classes,
        "device": torch.device("cpu"),
    }


# ------------------------------------------------------------------ lightning

def _lit_class():
    """The user's LightningModule: wraps `model`, logs `train_loss` and `val_loss`, AdamW at `hparams.lr`."""
    if "LitClassifier" in globals():
        return globals()["LitClassifier"]
    import lightning as L
    import torch
    import torch.nn as nn

    class LitClassifier(L.LightningModule):
        def __init__(self, net: nn.Module, lr: float = 1e-3) -> None:
            super().__init__()
            self.save_hyperparameters(ignore=["net"])
            self.net = net
            self.criterion = nn.CrossEntropyLoss()

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            inputs, targets = batch
            loss = self.criterion(self(inputs), targets)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            inputs, targets = batch
            self.log("val_loss", self.criterion(self(inputs), targets))

        def predict_step(self, batch, batch_idx):
            return self(batch[0])  # logits

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)

    LitClassifier.__qualname__ = "LitClassifier"
    globals()["LitClassifier"] = LitClassifier
    return LitClassifier


def _plain_progress() -> None:
    """Lightning picks rich's progress bar and model summary when rich is installed (advisor's own terminal
    needs it). On a fresh CI machine that bar crashed at teardown inside rich (Style has no attribute
    strip), which is no part of any snippet: the snippets' Trainers get the plain tqdm bar instead."""
    from lightning.pytorch.trainer.connectors import callback_connector

    callback_connector._RICH_AVAILABLE = False


def lightning_context(shape: Shape) -> dict[str, Any]:
    _plain_progress()
    context = torch_context(shape)
    return {"lit_model": _lit_class()(context["model"]), **context}


# ------------------------------------------------------------------ keras

def keras_context(shape: Shape) -> dict[str, Any]:
    import keras

    data = arrays(shape)
    x_train, x_val = data["x_train"], data["x_val"]
    if shape.kind == "image":  # Keras is channels-last
        x_train, x_val = x_train.transpose(0, 2, 3, 1), x_val.transpose(0, 2, 3, 1)
    keras.utils.set_random_seed(0)
    body = ([keras.layers.LSTM(16)] if shape.kind == "sequence"
            else [keras.layers.Flatten(), keras.layers.Dense(32, activation=shape.activation)])
    model = keras.Sequential([
        keras.Input(shape=x_train.shape[1:]),
        *body,
        keras.layers.Dropout(0.1),
        keras.layers.Dense(shape.classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return {"model": model, "x_train": x_train, "y_train": data["y_train"], "x_val": x_val,
            "y_val": data["y_val"], "num_classes": shape.classes}


# ------------------------------------------------------------------ scikit-learn

def sklearn_context(shape: Shape) -> dict[str, Any]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    data = arrays(Shape(shape.framework, shape.counts, "tabular", shape.family))
    X_train, y_train, X_val, y_val = data["x_train"], data["y_train"], data["x_val"], data["y_val"]
    model = (RandomForestClassifier(n_estimators=25, random_state=0) if shape.family == "tree"
             else LogisticRegression(max_iter=1000))
    return {"model": model, "X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val,
            "X": np.concatenate([X_train, X_val]), "y": np.concatenate([y_train, y_val])}


# ------------------------------------------------------------------ hugging face

_WORDS = [f"w{i}" for i in range(40)]
_STORE: dict[str, Path] = {}


def _store() -> Path:
    """One folder per test session for the local checkpoints and data sets."""
    if "root" not in _STORE:
        _STORE["root"] = Path(tempfile.mkdtemp(prefix="advisor-snippets-"))
        atexit.register(shutil.rmtree, _STORE["root"], ignore_errors=True)
        os.environ.setdefault("HF_HOME", str(_STORE["root"] / "hf-home"))
    return _STORE["root"]


def _tokenizer_dir() -> Path:
    path = _store() / "tokenizer"
    if not path.exists():
        from transformers import BertTokenizerFast

        path.mkdir()
        (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *_WORDS]) + "\n")
        # vocab=, not vocab_file=: transformers 5 ignores vocab_file and every word became [UNK]
        BertTokenizerFast(vocab=str(path / "vocab.txt")).save_pretrained(path)
    return path


def local_checkpoint(kind: str) -> Path:
    """A tiny pretrained-style checkpoint (weights, config, tokenizer) saved on disk."""
    path = _store() / f"tiny-{kind}"
    if not path.exists():
        import torch
        from transformers import AutoTokenizer, BertConfig, BertModel, GPT2Config, GPT2LMHeadModel

        vocab = len(_WORDS) + 5
        torch.manual_seed(0)
        if kind == "causal-lm":
            model = GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_embd=32, n_layer=2, n_head=2, n_positions=64,
                                               bos_token_id=2, eos_token_id=3, pad_token_id=0))
        else:
            model = BertModel(BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2,
                                         num_attention_heads=2, intermediate_size=64, max_position_embeddings=64))
        model.save_pretrained(path)
        AutoTokenizer.from_pretrained(_tokenizer_dir()).save_pretrained(path)
    return path


def local_seq2seq() -> Path:
    """A tiny encoder-decoder (BART) checkpoint with the same tokenizer, for translation-style code."""
    path = _store() / "tiny-seq2seq"
    if not path.exists():
        import torch
        from transformers import AutoTokenizer, BartConfig, BartForConditionalGeneration

        # no token_type_ids: encoder-decoder models do not take them (MarianMT's tokenizer gives none)
        tokenizer = AutoTokenizer.from_pretrained(_tokenizer_dir(), model_input_names=["input_ids", "attention_mask"])
        torch.manual_seed(0)
        model = BartForConditionalGeneration(BartConfig(
            vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=160,
            pad_token_id=0, bos_token_id=2, eos_token_id=3, decoder_start_token_id=2, forced_eos_token_id=3))
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)
    return path


def _texts(y: np.ndarray, rng: np.random.Generator) -> list[str]:
    texts = []
    for label in y:
        own = [_WORDS[(int(label) * 3 + j) % len(_WORDS)] for j in range(3)]
        words = [own[rng.integers(3)] if rng.random() < 0.6 else _WORDS[rng.integers(len(_WORDS))]
                 for _ in range(int(rng.integers(5, 14)))]
        texts.append(" ".join(words))
    return texts


def _hf_dataset(shape: Shape, y: np.ndarray, rng: np.random.Generator, tokenizer):
    from datasets import Dataset

    texts = _texts(y, rng)
    encoded = tokenizer(texts, padding="max_length", truncation=True, max_length=SEQ_LEN)
    columns: dict[str, Any] = {"text": texts, **{k: list(v) for k, v in encoded.items()}}
    if shape.kind == "causal-lm":
        columns["labels"] = [[t if m else -100 for t, m in zip(ids, mask)]
                             for ids, mask in zip(encoded["input_ids"], encoded["attention_mask"])]
    else:
        columns["label"] = [int(v) for v in y]
    return Dataset.from_dict(columns)


def local_dataset_dir(shape: Shape) -> Path:
    """A text data set with `text` and `label` columns, as files `datasets.load_dataset(path)` reads."""
    path = _store() / f"text-data-{shape.classes}"
    if not path.exists():
        import csv

        path.mkdir()
        rng = _rng(shape, 2)
        y = _labels(shape.counts, rng)
        with open(path / "train.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label"])
            writer.writerows(zip(_texts(y, rng), y.tolist()))
    return path


def huggingface_context(shape: Shape) -> dict[str, Any]:
    import transformers
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    transformers.logging.set_verbosity_error()  # "newly initialized head" notices on every load
    checkpoint = local_checkpoint(shape.kind)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    if shape.kind == "causal-lm":
        model = AutoModelForCausalLM.from_pretrained(checkpoint)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=shape.classes)
    rng = _rng(shape, 1)
    train = _hf_dataset(shape, _labels(shape.counts, rng), rng, tokenizer)
    evaluation = _hf_dataset(shape, _labels(_val_counts(shape.counts), rng), rng, tokenizer)
    return {"model": model, "tokenizer": tokenizer, "train_dataset": train, "eval_dataset": evaluation,
            "local_checkpoint": str(checkpoint), "local_dataset_dir": str(local_dataset_dir(shape)),
            "local_seq2seq": str(local_seq2seq())}


BUILDERS = {"pytorch": torch_context, "lightning": lightning_context, "keras": keras_context,
            "sklearn": sklearn_context, "huggingface": huggingface_context}


_FROZEN: set[str] = set()


def build(shape: Shape) -> dict[str, Any]:
    if shape.framework != "sklearn":
        import torch

        torch.set_num_threads(1)
    context = BUILDERS[shape.framework](shape)
    if shape.framework not in _FROZEN:  # its libraries are imported now
        _FROZEN.add(shape.framework)
        freeze_imports()
    return context
