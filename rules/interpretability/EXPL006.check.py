"""What EXPL006's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, baseline, forward, hf_predictions

_baseline = applies("sklearn")(baseline)  # shared with other rules: tests/snippets/checks.py


def _features(x) -> np.ndarray:
    return np.asarray(x, dtype="float32").reshape(len(x), -1)


def _network_and_baseline(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each model's validation predictions and the labels, recomputed apart from the snippet."""
    import torch

    fitted = run.new("baseline")
    if run.framework == "huggingface":
        labels, logits = hf_predictions(run)
        return logits.argmax(axis=-1), fitted.predict(run.context["eval_dataset"]["text"]), labels
    if run.framework == "keras":
        x, labels = run.context["x_val"], np.asarray(run.context["y_val"]).reshape(-1)
        return run.context["model"].predict(x, verbose=0).argmax(axis=1), fitted.predict(_features(x)), labels
    model = run.context["lit_model" if run.framework == "lightning" else "model"]
    x = torch.cat([inputs for inputs, _ in run.context["val_loader"]])
    labels = torch.cat([targets for _, targets in run.context["val_loader"]]).numpy()
    return forward(model, x).argmax(dim=1).numpy(), fitted.predict(_features(x)), labels


@applies("pytorch", "lightning", "keras", "huggingface")
def _mcnemar(run: Run) -> None:
    from scipy.stats import binomtest

    net, base, labels = _network_and_baseline(run)
    only_net = int(np.sum((net == labels) & (base != labels)))
    only_base = int(np.sum((net != labels) & (base == labels)))
    assert (run.new("only_net"), run.new("only_base")) == (only_net, only_base), \
        f"disagreements counted {run.new('only_net')}/{run.new('only_base')}, recomputed {only_net}/{only_base}"
    p = binomtest(only_net, only_net + only_base, 0.5).pvalue if only_net + only_base else 1.0
    assert abs(float(run.new("p")) - p) < 1e-9, (run.new("p"), p)
    assert f"{(net == labels).mean():.4f}" in run.output and f"{(base == labels).mean():.4f}" in run.output
    run.ok(f"paired on the same samples: {only_net} network-only, {only_base} baseline-only correct, McNemar p {p:.3f}")
