"""What STB010's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, finite, hf_trained, trained_keras


@applies("pytorch")
def _clip_torch(run: Run) -> None:
    grad_norm = run.new("grad_norm")
    assert finite(grad_norm) and float(grad_norm) >= 0
    run.ok(f"gradient norm measured and clipped at 1.0 (last {float(grad_norm):.3g})")


@applies("keras")
def _clip_keras(run: Run) -> None:
    model = trained_keras(run)
    assert model.optimizer.clipnorm == 1.0
    run.ok("optimizer clipnorm=1.0")


@applies("huggingface")
def _clip_hf(run: Run) -> None:
    assert args_of(run).max_grad_norm == 1.0
    run.ok("max_grad_norm=1.0")
    hf_trained(run)
