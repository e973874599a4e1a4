"""What STB015's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, recurrent_initialised, torch_changed


def _recurrent(run: Run) -> int:
    """Recurrent layers re-initialised: orthogonal gate matrices, zero biases but the LSTM forget gate at 1."""
    return recurrent_initialised(run.context["model"])


def _scheme(run: Run, layers) -> str:
    """Each layer's weight spread is the advised scheme's: Xavier with the activation's gain when the model
    has tanh/sigmoid units, He (fan_in) otherwise; the library defaults (Kaiming uniform, a=sqrt(5)) are
    about 2.4x narrower than He, so an untouched model fails."""
    import math

    import torch.nn as nn

    model = run.context["model"]
    saturating = next((type(m).__name__.lower() for m in model.modules() if isinstance(m, (nn.Tanh, nn.Sigmoid))), None)
    for layer in layers:
        w = layer.weight.detach()
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
        if saturating:
            want = nn.init.calculate_gain(saturating) * math.sqrt(2.0 / (fan_in + fan_out))
        else:
            want = math.sqrt(2.0 / fan_in)
        got = float(w.std())
        assert abs(got - want) < 0.35 * want, f"{type(layer).__name__} {tuple(w.shape)}: std {got:.3g}, want {want:.3g}"
    return f"Xavier (gain for {saturating})" if saturating else "He (fan_in)"


@applies("pytorch", "lightning")
def _init_torch(run: Run) -> None:
    linears = [m for m in run.context["model"].modules() if type(m).__name__ in ("Linear", "Conv2d")]
    assert all(m.bias is None or float(m.bias.abs().sum()) == 0 for m in linears), "biases should be zero"
    assert torch_changed(run)
    scheme = _scheme(run, [m for m in linears if m.weight.numel() >= 48])  # enough values for a spread
    recurrent = _recurrent(run)
    run.ok(f"{len(linears)} layers re-initialised ({scheme}), zero biases"
           + (f"; {recurrent} recurrent layer(s): orthogonal gates, forget bias 1" if recurrent else ""))


@applies("keras")
def _init_keras(run: Run) -> None:
    import keras

    assert isinstance(run.new("relu_layer").kernel_initializer, keras.initializers.HeNormal)
    run.ok("He initialiser for the ReLU layer")


@applies("huggingface")
def _init_hf(run: Run) -> None:
    """Rebuilt with the standard spread: a config whose initializer_range was set 10x too wide is corrected."""
    import torch.nn as nn

    from tests.snippets import contexts

    def linear_std(model) -> float:
        import torch

        return float(torch.cat([m.weight.detach().flatten() for m in model.modules() if isinstance(m, nn.Linear)]).std())

    context = contexts.build(contexts.shape_for("huggingface", run.facts))
    context["model"].config.initializer_range = 0.2
    wide = type(context["model"])(context["model"].config)
    assert linear_std(wide) > 0.1, "the probe config should build wide weights"
    context["model"] = wide
    rebuilt = run.rerun(context)["model"]
    assert rebuilt is not wide and rebuilt.config.initializer_range == 0.02
    assert abs(linear_std(rebuilt) - 0.02) < 0.006, linear_std(rebuilt)
    run.ok(f"a 0.2-spread model rebuilt at std {linear_std(rebuilt):.3g} (initializer_range 0.02)")
