"""What STB015's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, torch_changed


def _recurrent(run: Run) -> int:
    """Recurrent layers re-initialised: orthogonal gate matrices, zero biases but the LSTM forget gate at 1."""
    import torch
    import torch.nn as nn

    found = 0
    for module in run.context["model"].modules():
        if not isinstance(module, (nn.LSTM, nn.GRU)):
            continue
        found += 1
        gates = 4 if isinstance(module, nn.LSTM) else 3
        h = module.hidden_size
        for name, param in module.named_parameters():
            if name.startswith("weight_hh"):
                for block in param.detach().chunk(gates):
                    assert torch.allclose(block @ block.T, torch.eye(h), atol=1e-4), f"{name}: a gate is not orthogonal"
            elif name.startswith("bias"):
                want = torch.zeros_like(param)
                if isinstance(module, nn.LSTM) and name.startswith("bias_ih"):
                    want[h:2 * h] = 1.0
                assert torch.equal(param.detach(), want), f"{name}: {param.detach()[: 2 * h]}"
    return found


@applies("pytorch", "lightning")
def _init_torch(run: Run) -> None:
    linears = [m for m in run.context["model"].modules() if type(m).__name__ in ("Linear", "Conv2d")]
    assert all(m.bias is None or float(m.bias.abs().sum()) == 0 for m in linears), "biases should be zero"
    assert torch_changed(run)
    recurrent = _recurrent(run)
    run.ok(f"{len(linears)} layers re-initialised, zero biases"
           + (f"; {recurrent} recurrent layer(s): orthogonal gates, forget bias 1" if recurrent else ""))


@applies("keras")
def _init_keras(run: Run) -> None:
    import keras

    assert isinstance(run.new("relu_layer").kernel_initializer, keras.initializers.HeNormal)
    run.ok("He initialiser for the ReLU layer")
