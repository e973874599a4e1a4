"""What EXPL004's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

Case analysis explains the most confident mistakes first: each check recomputes the validation
predictions apart from the snippet and compares the cases it chose."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, forward, hf_predictions


def _most_confident_mistakes(proba: np.ndarray, labels: np.ndarray, k: int = 5) -> list[int]:
    predicted, confidence = proba.argmax(axis=1), proba.max(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return wrong[np.argsort(-confidence[wrong], kind="stable")][:k].tolist()


def _same_cases(run: Run, chosen, proba: np.ndarray, labels: np.ndarray) -> None:
    chosen = [int(i) for i in np.asarray(chosen).reshape(-1)]
    expected = _most_confident_mistakes(proba, labels)
    confidence = proba.max(axis=1)
    # ties in confidence may be broken either way: compare the confidences, and that each case is a mistake
    assert len(chosen) == len(expected), f"{len(chosen)} cases chosen, {len(expected)} mistakes to explain"
    assert all(proba[i].argmax() != labels[i] for i in chosen), "a chosen case is no mistake"
    assert np.allclose(confidence[chosen], confidence[expected], atol=1e-4), (chosen, expected)
    run.ok(f"explained the {len(chosen)} most confident validation mistake(s)")


def _torch_proba(model, loader) -> tuple[np.ndarray, np.ndarray]:
    import torch

    inputs = torch.cat([x for x, _ in loader])
    labels = torch.cat([y for _, y in loader]).numpy()
    return forward(model, inputs).softmax(dim=1).numpy(), labels


@applies("sklearn")
def _local_sklearn(run: Run) -> None:
    assert "explaining" in run.output, run.output[-300:]
    model, X_val, y_val = run.new("model"), run.context["X_val"], np.asarray(run.context["y_val"])
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X_val)
        _same_cases(run, run.new("cases"), proba, np.searchsorted(model.classes_, y_val))
    assert run.output.count("    ") >= len(run.new("cases")), "no LIME reasons printed"
    run.ok("LIME reasons printed for each case")


@applies("pytorch")
def _local_torch(run: Run) -> None:
    proba, labels = _torch_proba(run.context["model"], run.context["val_loader"])
    wrong = np.flatnonzero(proba.argmax(axis=1) != labels)
    picked = wrong[run.new("order").numpy()]  # `order` indexes the collected mistakes
    _same_cases(run, picked, proba, labels)
    assert run.output.count("top inputs") == 2 * len(picked), run.output[-300:]


@applies("lightning")
def _local_lightning(run: Run) -> None:
    proba, labels = _torch_proba(run.context["lit_model"], run.context["val_loader"])
    _same_cases(run, run.new("cases"), proba, labels)
    assert run.output.count("top inputs") == 2 * len(run.new("cases")), run.output[-300:]
    run.ok("attributions toward the predicted and the true class for each case")


@applies("keras")
def _local_keras(run: Run) -> None:
    model, x_val = run.context["model"], np.asarray(run.context["x_val"], dtype="float32")
    proba = model.predict(x_val, verbose=0)
    _same_cases(run, run.new("cases"), proba, np.asarray(run.context["y_val"]).reshape(-1))
    assert run.output.count("confidence") == len(run.new("cases"))
    run.ok("LIME reasons printed for each case")


@applies("huggingface")
def _local_hf(run: Run) -> None:
    import torch

    labels, logits = hf_predictions(run)
    _same_cases(run, run.new("cases"), torch.tensor(logits).softmax(dim=-1).numpy(), labels)
    data = run.context["eval_dataset"]
    for i, reasons in run.new("explanations").items():
        words = set(data[i]["text"].lower().split())
        assert reasons and all(w.lower() in words for w, _ in reasons), (data[i]["text"], reasons)
    run.ok("each LIME explanation names words of its own text")
