"""What STB016's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, finite, forward, torch_batch, trained_keras

_SATURATING = ("Sigmoid", "Tanh")


@applies("pytorch", "lightning")
def _activation_torch(run: Run) -> None:
    model = run.context["model"]
    if run.facts.get("activation") in ("sigmoid", "tanh"):  # the context built it with that activation
        assert run.before["saturating"], "the test model should have had saturating activations"
    assert not any(type(m).__name__ in _SATURATING for m in model.modules()), "a Sigmoid or Tanh is left"
    assert finite(forward(model, torch_batch(run)[0]))
    run.ok(f"{run.before['saturating']} saturating activation(s) replaced; the model still runs")


@applies("keras")
def _activation_keras(run: Run) -> None:
    model = trained_keras(run)
    assert model is run.new("rebuilt")
    hidden = [layer for layer in model.layers[:-1] if "activation" in layer.get_config()]
    before = [layer.get_config()["activation"] for layer in run.context["model"].layers[:-1]
              if "activation" in layer.get_config()]
    if run.facts.get("activation") in ("sigmoid", "tanh"):  # the context built its hidden layers with it
        assert run.facts["activation"] in before, before
    assert hidden and all(layer.get_config()["activation"] not in ("sigmoid", "tanh") for layer in hidden), \
        [layer.get_config()["activation"] for layer in hidden]
    assert model.layers[-1].get_config()["activation"] == run.context["model"].layers[-1].get_config()["activation"]
    run.ok(f"hidden activations {before} -> {[layer.get_config()['activation'] for layer in hidden]}; output kept; trained")


def _saturating_hidden(model) -> list[str]:
    """Tanh/Sigmoid modules outside the pooler (BERT's pooler tanh feeds the classifier: the output path)."""
    import torch.nn as nn

    return [n for n, m in model.named_modules() if isinstance(m, (nn.Tanh, nn.Sigmoid)) and "pooler" not in n]


@applies("huggingface")
def _activation_hf(run: Run) -> None:
    import copy

    assert run.new("model") is run.context["model"] and run.new("changed") == {}, "a GELU model must be left alone"
    from tests.snippets import contexts

    context = contexts.build(contexts.shape_for("huggingface", run.facts))
    config = context["model"].config
    key = "activation_function" if hasattr(config, "activation_function") else "hidden_act"
    setattr(config, key, "tanh")  # a model configured with tanh hidden units
    tanh_config = copy.deepcopy(config)
    assert _saturating_hidden(type(context["model"])(tanh_config)), "the probe config should build tanh units"
    again = run.rerun(context)
    rebuilt = again["model"]
    assert rebuilt is not context["model"] and getattr(rebuilt.config, key) == "gelu", again["changed"]
    assert not _saturating_hidden(rebuilt), _saturating_hidden(rebuilt)
    import torch

    ids = torch.tensor(context["train_dataset"]["input_ids"][:4])
    with torch.no_grad():
        assert finite(rebuilt(input_ids=ids).logits)
    run.ok(f"GELU config left alone; a {key}='tanh' config rebuilt with GELU hidden units, and it runs")
