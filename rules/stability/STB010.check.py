"""What STB010's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, finite, hf_trained, trained_keras


@applies("pytorch")
def _clip_torch(run: Run) -> None:
    import torch

    grad_norm = run.new("grad_norm")
    assert finite(grad_norm) and float(grad_norm) >= 0
    # the context's gradients are small: run the snippet again on a model whose logits are 1000x larger
    from tests.snippets import contexts

    context = contexts.build(contexts.shape_for("pytorch", run.facts))
    with torch.no_grad():
        context["model"].head.weight.mul_(1000.0)
    again = run.rerun(context)
    grads = [p.grad for p in context["model"].parameters() if p.grad is not None]
    left = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in grads])))
    assert float(again["grad_norm"]) > 1.0, "the probe should have produced a large gradient"
    assert left <= 1.0 + 1e-3, f"gradients of norm {float(again['grad_norm']):.3g} left at {left:.4g}, not clipped to 1.0"
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
