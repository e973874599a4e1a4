"""Keras 3 callback: the epoch's logs (loss, val_loss, accuracy, ...) after every epoch."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import keras

from advisor import detect
from advisor.live.callbacks import MonitorMixin


class AdvisorCallback(keras.callbacks.Callback, MonitorMixin):
    def __init__(self, setup: Any = None, *, stop: bool = True, stop_on: Iterable[str] = detect.SEVERE,
                 on_finding: Callable[[detect.Finding], None] | None = None, advise: bool = True) -> None:
        super().__init__()
        self._init_monitor(setup or {"framework": "keras"}, stop, stop_on, on_finding, advise)

    def on_epoch_end(self, epoch, logs=None):
        if self._report(self.monitor.update_from(epoch, logs or {}, epoch=epoch)):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self._report(self.monitor.close())
