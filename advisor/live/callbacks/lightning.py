"""PyTorch Lightning callback: the training loss of every batch, its gradient norms (the whole model's and
the first and last layers'), validation metrics after each validation."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from lightning.pytorch.callbacks import Callback

from advisor import detect
from advisor.live.callbacks import MonitorMixin


class AdvisorCallback(Callback, MonitorMixin):
    def __init__(self, setup: Any = None, *, stop: bool = True, stop_on: Iterable[str] = detect.SEVERE,
                 on_finding: Callable[[detect.Finding], None] | None = None, advise: bool = True) -> None:
        self._init_monitor(setup or {"framework": "lightning"}, stop, stop_on, on_finding, advise)
        self._norms: dict[str, Any] = {}

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        # Lightning calls this once the gradients are accumulated and unscaled (AMP), before clipping.
        self._norms = gradient_norms(pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        norms, self._norms = self._norms, {}  # a batch that only accumulates has no optimizer step of its own
        if loss is None:
            return
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
        found = self.monitor.update(trainer.global_step, epoch=trainer.current_epoch, loss=float(loss),
                                    learning_rate=lr, **norms)
        if self._report(found):
            trainer.should_stop = True

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        metrics = {k: v for k, v in trainer.callback_metrics.items() if k.startswith(("val", "valid", "eval"))}
        if self._report(self.monitor.update_from(trainer.global_step, metrics, epoch=trainer.current_epoch)):
            trainer.should_stop = True

    def on_train_end(self, trainer, pl_module):
        self._report(self.monitor.close())


def gradient_norms(module) -> dict[str, Any]:
    """`grad_norm` (the whole model's L2 norm) and `layer_grad_norm` (the first and the last parameter that has a
    gradient, in registration order: input side first), read back in one transfer from the device.

    Vanishing gradients are judged by the first layer against the last, as AUTOTRAINER does
    (https://arxiv.org/abs/2103.02095), because the total is dominated by the layers nearest the loss.
    """
    import torch

    named = [(name, p.grad) for name, p in module.named_parameters() if p.grad is not None]
    if not named:
        return {}
    grads = [g for _, g in named]
    (first, first_grad), (last, last_grad) = named[0], named[-1]
    with torch.no_grad():
        total = torch.nn.utils.get_total_norm(grads, 2.0)
        values = torch.stack([total, first_grad.norm(), last_grad.norm()]).float().tolist()
    norms: dict[str, Any] = {"grad_norm": values[0]}
    if len(named) > 1:
        norms["layer_grad_norm"] = {first: values[1], last: values[2]}
    return norms
