"""What STB019's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, blocks, forward, torch_batch, trained_lightning

_blocks = applies("pytorch", "keras")(blocks)  # shared with other rules: tests/snippets/checks.py


@applies("lightning")
def _shortcuts_lightning(run: Run) -> None:
    import torch

    net = run.context["lit_model"].net
    residual = [m for m in net.modules() if type(m).__name__ == "Residual"]
    assert residual, "no layer was given a shortcut"
    for block in residual:  # out - x is exactly what the wrapped layers compute: the identity path is there
        first = next(iter(block.body))
        width = getattr(first, "in_features", None) or first.in_channels
        x = torch.randn(4, width) if hasattr(first, "in_features") else torch.randn(2, width, *[6] * (first.weight.ndim - 2))
        block.eval()
        with torch.no_grad():
            assert torch.allclose(block(x) - x, block.body(x), atol=1e-5)
    trained_lightning(run)
    assert torch.isfinite(forward(net, torch_batch(run)[0])).all()
    run.ok(f"{len(residual)} residual block(s) x + F(x); the model trains and still runs")
