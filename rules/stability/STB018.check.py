"""What STB018's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

import torch
import torch.nn as nn

from tests.snippets.checks import Run, applies, hf_trained, trained_lightning


@applies("lightning")
def _pre_ln_lightning(run: Run) -> None:
    net = run.context["lit_model"].net
    layers = [m for m in net.modules() if isinstance(m, (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer))]
    stacks = [m for m in net.modules() if isinstance(m, (nn.TransformerEncoder, nn.TransformerDecoder))]
    assert all(layer.norm_first for layer in layers), "a transformer layer is still post-LN"
    assert all(isinstance(stack.norm, nn.LayerNorm) for stack in stacks), "a pre-LN stack lacks its final LayerNorm"
    assert not any(isinstance(m, nn.LSTM) and m.num_layers > 1 for m in net.modules()), "a stacked LSTM is left"
    recurrent = [m for m in net.modules() if type(m).__name__ == "LayerNormLSTM"]
    for block in recurrent:  # each layer's output is normalised per time step
        block.eval()
        with torch.no_grad():
            out, (h, c) = block(torch.randn(3, 5, block.layers[0].input_size))
        assert h.shape[0] == len(block.layers) and out.shape[:2] == (3, 5)
        norm = block.norms[-1]  # undo its affine part: what is left has mean 0 and std 1 at every time step
        z = (out - norm.bias.detach()) / norm.weight.detach()
        assert torch.allclose(z.mean(-1), torch.zeros(3, 5), atol=1e-4)
        assert torch.allclose(z.std(-1, unbiased=False), torch.ones(3, 5), atol=1e-2)
    assert layers or recurrent, "nothing was normalised"
    trained_lightning(run)
    run.ok(f"{len(layers)} pre-LN transformer layer(s), {len(recurrent)} LayerNorm LSTM(s); trained")


@applies("huggingface")
def _pre_ln_hf(run: Run) -> None:
    from transformers import RobertaPreLayerNormForSequenceClassification

    trainer = run.new("trainer")
    model = trainer.model
    assert isinstance(model, RobertaPreLayerNormForSequenceClassification), type(model)
    old = run.context["model"].config
    assert (model.config.hidden_size, model.config.num_hidden_layers, model.config.num_labels) == \
        (old.hidden_size, old.num_hidden_layers, old.num_labels), "the sizes should be the user's"
    encoder = model.roberta_prelayernorm.encoder
    assert all(isinstance(layer.attention.LayerNorm, nn.LayerNorm) for layer in encoder.layer)
    assert isinstance(model.roberta_prelayernorm.LayerNorm, nn.LayerNorm), "no final LayerNorm"
    hf_trained(run)
    run.ok(f"{len(encoder.layer)} pre-LN encoder layers at the user's sizes, trained")
