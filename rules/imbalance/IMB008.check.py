"""What IMB008's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite, trained_keras


@applies("huggingface", "pytorch", "lightning")
def _focal_torch(run: Run) -> None:
    import torch
    import torch.nn.functional as F

    focal = run.new("focal_loss")
    targets = torch.tensor([0, 1, run.classes - 1])
    easy = torch.full((3, run.classes), -6.0)
    easy[torch.arange(3), targets] = 6.0  # confident and right
    hard = torch.zeros(3, run.classes)  # undecided
    assert finite(focal(easy, targets)) and finite(focal(hard, targets))
    ratio_easy = float(focal(easy, targets)) / float(F.cross_entropy(easy, targets))
    ratio_hard = float(focal(hard, targets)) / float(F.cross_entropy(hard, targets))
    assert ratio_easy < 0.01 * ratio_hard, "confident correct examples should count for almost nothing"
    run.ok("focal loss finite; easy examples down-weighted against cross-entropy")


@applies("keras")
def _focal_keras(run: Run) -> None:
    import keras

    model = trained_keras(run)
    assert isinstance(model.loss, keras.losses.CategoricalFocalCrossentropy)
    run.ok("compiled with CategoricalFocalCrossentropy")
