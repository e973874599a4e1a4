"""Hugging Face `transformers.Trainer` callback: checks every `on_log` (loss, grad_norm, eval_loss, ...)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from transformers import TrainerCallback

from advisor import detect
from advisor.live.callbacks import MonitorMixin


class AdvisorCallback(TrainerCallback, MonitorMixin):
    def __init__(self, setup: Any = None, *, stop: bool = True, stop_on: Iterable[str] = detect.SEVERE,
                 on_finding: Callable[[detect.Finding], None] | None = None, advise: bool = True) -> None:
        self._init_monitor(setup or {"framework": "huggingface"}, stop, stop_on, on_finding, advise)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or any(k in logs for k in ("train_runtime", "total_flos")):
            return control
        if self._report(self.monitor.update_from(state.global_step, logs, epoch=state.epoch)):
            control.should_training_stop = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self._report(self.monitor.close())
        return control
