"""What OPT003's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, close


@applies("pytorch")
def _gan_adam(run: Run) -> None:
    import torch

    optimizer = run.new("optimizer")
    assert type(optimizer) is torch.optim.Adam, type(optimizer)
    assert optimizer.defaults["betas"] == (0.5, 0.999) and close(optimizer.defaults["lr"], 2e-4)
    covered = {id(p) for g in optimizer.param_groups for p in g["params"]}
    assert covered == {id(p) for p in run.context["model"].parameters()}
    run.ok("Adam at lr 2e-4 with beta1 0.5 over all parameters")
