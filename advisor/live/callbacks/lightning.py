"""PyTorch Lightning callback: the training loss of every batch, validation metrics after each validation."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from lightning.pytorch.callbacks import Callback

from advisor import detect
from advisor.live.callbacks import MonitorMixin


class AdvisorCallback(Callback, MonitorMixin):
    def __init__(self, setup: Any = None, *, stop: bool = True, stop_on: Iterable[str] = detect.SEVERE,
                 on_finding: Callable[[detect.Finding], None] | None = None, advise: bool = True) -> None:
        self._init_monitor(setup or {"framework": "lightning"}, stop, stop_on, on_finding, advise)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
        found = self.monitor.update(trainer.global_step, epoch=trainer.current_epoch, loss=float(loss),
                                    learning_rate=lr)
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
