"""What EVAL002's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, trained_keras


@applies("pytorch", "lightning")
def _stratified_torch(run: Run) -> None:
    labels = run.new("labels")
    tr, va = np.bincount(labels[run.new("train_idx")]), np.bincount(labels[run.new("val_idx")])
    assert (np.abs(tr / tr.sum() - va / va.sum()) < 0.05).all(), (tr, va)
    run.ok("train and validation keep the class ratio")


@applies("keras")
def _stratified_keras(run: Run) -> None:
    tr, va = np.bincount(run.new("y_tr")), np.bincount(run.new("y_va"))
    assert (np.abs(tr / tr.sum() - va / va.sum()) < 0.05).all(), (tr, va)
    run.ok("train and validation keep the class ratio")
    trained_keras(run)


@applies("sklearn")
def _stratified_sklearn(run: Run) -> None:
    tr, te = np.bincount(run.new("y_tr")), np.bincount(run.new("y_te"))
    assert (np.abs(tr / tr.sum() - te / te.sum()) < 0.05).all(), (tr, te)
    run.ok("train and test keep the class ratio")


@applies("huggingface")
def _stratified_hf(run: Run) -> None:
    tr, va = (np.bincount(run.new(name)["label"]) for name in ("train_split", "val_split"))
    assert len(tr) == len(va) == run.classes and (np.abs(tr / tr.sum() - va / va.sum()) < 0.05).all(), (tr, va)
    run.ok("train and evaluation splits keep every class's share")
