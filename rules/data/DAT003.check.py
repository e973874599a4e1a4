"""What DAT003's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

The keras and huggingface snippets are also checked by the data-augmentation checks in tests/snippets/checks.py
(augmentation active in training only; one paraphrase per text).
"""

from __future__ import annotations

from collections import Counter

from tests.snippets.checks import Run, applies, hf_trained, torch_changed, torch_equal, trained_lightning


@applies("lightning")
def _augment_lightning(run: Run) -> None:
    import torch

    trainer = trained_lightning(run)
    assert torch_changed(run), "the augmented module did not train"
    lit_model = run.context["lit_model"]
    inputs, targets = next(iter(run.context["train_loader"]))
    torch.manual_seed(0)
    try:
        trainer.training = True
        changed, kept = lit_model.on_after_batch_transfer((inputs.clone(), targets.clone()), 0)
        trainer.training = False
        trainer.validating = True
        same, _ = lit_model.on_after_batch_transfer((inputs.clone(), targets.clone()), 0)
    finally:
        trainer.validating = False
    assert changed.shape == inputs.shape and changed.dtype == inputs.dtype and not torch_equal(changed, inputs)
    assert torch_equal(kept, targets), "augmentation changed the labels"
    assert torch_equal(same, inputs), "validation batches must not be augmented"
    run.ok(f"{type(lit_model).__name__}.on_after_batch_transfer changes training batches only, labels kept")


@applies("pytorch")
def _augment_pytorch(run: Run) -> None:
    import torch

    assert torch_changed(run), "the model did not train on the augmented batches"
    inputs, _ = next(iter(run.context["train_loader"]))
    torch.manual_seed(0)
    changed = run.new("augment")(inputs.clone())
    assert changed.shape == inputs.shape and changed.dtype == inputs.dtype and not torch_equal(changed, inputs)
    if not inputs.is_floating_point():  # masked token ids are still ids the embedding has
        assert int(changed.min()) >= 0 and int(changed.max()) < run.context["model"].embed.num_embeddings
    run.ok(f"augment changes a {tuple(inputs.shape)} {inputs.dtype} batch, keeping its shape and type; the model trained")


@applies("huggingface")
def _augment_hf_trained(run: Run) -> None:
    train, augmented = run.context["train_dataset"], run.new("train_augmented")
    assert len(augmented) == 2 * len(train)
    assert Counter(list(augmented["label"])) == Counter(list(train["label"]) * 2), "the augmented copies changed the labels"
    originals = set(train["text"])
    for text, paraphrase in zip(train["text"], run.new("paraphrases")):
        assert set(paraphrase.split()) <= set(text.split()), (text, paraphrase)  # deleted or swapped words only
    assert any(p not in originals for p in run.new("paraphrases")), "no text was changed"
    hf_trained(run)
    run.ok(f"{len(train)} word-dropped and swapped copies with their labels; the Trainer trained on both")
