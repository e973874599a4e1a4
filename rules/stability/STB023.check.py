"""What STB023's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

Its Hugging Face check replaces the sanity-checks strategy's (`replaces=True`): a language model's
loss is judged against ln(vocabulary), not as a classifier's.
"""

from __future__ import annotations

import math

from tests.snippets.checks import Run, applies, close, finite, torch_changed


@applies("huggingface", replaces=True)
def _lm_start_loss(run: Run) -> None:
    vocab = run.context["model"].config.vocab_size
    loss = run.new("start_loss")
    assert finite(loss) and 0.5 * math.log(vocab) < loss < 2 * math.log(vocab), (loss, math.log(vocab))
    assert f"ln({vocab})" in run.output and "trainable parameters:" in run.output
    assert close(run.new("trainable"), sum(p.numel() for p in run.context["model"].parameters() if p.requires_grad))
    run.ok(f"start loss {loss:.3f} against ln({vocab}) = {math.log(vocab):.3f}; trainable share printed")


@applies("pytorch", "lightning", "keras")
def _start_loss(run: Run) -> None:
    """The loss before any step is a uniform guess's, ln(size of the output's last axis), and is said so."""
    vocab = run.new("vocab")
    expected = run.context["model"].output_shape[-1] if run.framework == "keras" else run.classes
    assert vocab == expected, (vocab, expected)
    loss = float(run.new("start_loss"))
    assert finite(loss) and 0.5 * math.log(vocab) < loss < 2 * math.log(vocab), (loss, math.log(vocab))
    assert f"ln({vocab})" in run.output
    if run.framework == "pytorch":
        assert not torch_changed(run), "the probe must train a copy, not the user's model"
    run.ok(f"start loss {loss:.3f} against ln({vocab}) = {math.log(vocab):.3f}")
