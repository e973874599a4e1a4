"""What EXPL003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import numpy as np

from tests.snippets.checks import Run, applies, finite, trained_lightning


def _complete(run: Run, attributions, gap) -> None:
    """Integrated Gradients' completeness axiom: each sample's attributions add up to
    F(input) - F(baseline) for the explained class, computed here apart from the snippet."""
    total = attributions.detach().reshape(len(attributions), -1).sum(dim=1)
    assert finite(total) and total.abs().max() > 0, "no attribution at all"
    err = (total - gap).abs()
    assert bool((err <= 0.05 * gap.abs().clamp(min=1.0)).all()), \
        f"attributions sum to {total[:4].tolist()}, the score gap is {gap[:4].tolist()}"
    run.ok(f"{len(total)} samples: attributions add up to F(x) - F(baseline) (max error {err.max().item():.2g})")


def _gap_torch(model, inputs, baselines, target):
    import torch

    model.eval()
    with torch.no_grad():
        rows = torch.arange(len(inputs))
        return model(inputs)[rows, target] - model(baselines)[rows, target]


@applies("pytorch")
def _ig_torch(run: Run) -> None:
    inputs, predicted = run.new("inputs"), run.new("predicted")
    gap = _gap_torch(run.context["model"], inputs, run.new("baselines"), predicted)
    _complete(run, run.new("attributions"), gap)


@applies("lightning")
def _ig_lightning(run: Run) -> None:
    explain = run.new("explain")
    assert explain in run.new("trainer").callbacks, "the callback is not in the Trainer's callbacks"
    trained_lightning(run)
    gap = _gap_torch(run.context["lit_model"], explain.inputs, explain.baselines, explain.predicted)
    _complete(run, explain.attributions, gap)


@applies("huggingface")
def _ig_hf(run: Run) -> None:
    import torch

    ids, mask, baselines = run.new("input_ids"), run.new("attention_mask"), run.new("baselines")
    tokenizer = run.context["tokenizer"]
    frame = torch.isin(ids, torch.tensor([tokenizer.cls_token_id, tokenizer.sep_token_id])) | (mask == 0)
    assert bool((baselines[~frame] == tokenizer.pad_token_id).all()), "a word survived in the baseline"
    assert bool((baselines[frame] == ids[frame]).all()), "the baseline dropped [CLS] / [SEP]"
    scores, predicted = run.new("scores"), run.new("predicted")
    with torch.no_grad():
        rows = torch.arange(len(ids))
        gap = scores(ids, mask)[rows, predicted] - scores(baselines, mask)[rows, predicted]
    _complete(run, run.new("attributions"), gap)


@applies("keras")
def _saliency_keras(run: Run) -> None:
    saliency = np.asarray(run.new("saliency"))
    assert saliency.shape == np.shape(run.context["x_val"])[1:], (saliency.shape, np.shape(run.context["x_val"]))
    assert finite(saliency) and saliency.max() > 0, "gradient x input is zero everywhere"
    run.ok(f"gradient x input saliency of shape {saliency.shape}")
