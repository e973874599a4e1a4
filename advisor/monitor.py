"""Watch a training run live: `Monitor.update(step, loss=..., grad_norm=..., val_loss=...)`.

    from advisor import Monitor
    monitor = Monitor({"precision": "fp16", "framework": "pytorch"})
    for step, batch in enumerate(loader):
        ...
        for finding in monitor.update(step, loss=loss.item(), grad_norm=norm):
            print(finding, finding.advice[0].title)
        if monitor.should_stop:
            break

`update` costs a few microseconds (the detectors keep a few numbers each, never
the history); advice is looked up only when a symptom is first found, through
`advisor.diagnose` with the symptom added to the setup.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from . import detectors
from .logs import columns
from .logs.columns import canonical_metric

__all__ = ["Monitor"]


class Monitor:
    """Incremental symptom detection with ranked advice for each new finding.

    setup:   what is known about the run (a `Setup`, a dict, or None); it sharpens the advice.
    stop_on: symptoms that make `should_stop` true (default: nan-loss, diverging-loss,
             exploding-gradients). Pass () to never ask for a stop.
    advise:  False skips the advice lookup (findings only; no pydantic import).
    top:     advice items kept per finding.
    """

    def __init__(self, setup: Any = None, *, stop_on: Iterable[str] = detectors.SEVERE, advise: bool = True,
                 top: int = 3, rules: Iterable[str] = (), thresholds: detectors.Thresholds | None = None) -> None:
        self._analyzer = detectors.Analyzer(thresholds)
        self._setup = setup
        self._advise, self._top, self._rules = advise, top, tuple(rules)
        self.stop_on = frozenset(stop_on)
        unknown = self.stop_on - set(detectors.SYMPTOMS)
        if unknown:
            from .errors import InputError
            raise InputError("stop_on", f"{sorted(unknown)} are not detected symptoms; "
                                        f"use any of {', '.join(detectors.SYMPTOMS)}")
        self._closed = False

    @property
    def findings(self) -> list[detectors.Finding]:
        """Every finding so far, in the order found."""
        return list(self._analyzer.findings)

    @property
    def should_stop(self) -> bool:
        """A finding in `stop_on` has been made: further steps waste compute."""
        return bool(self._analyzer.fired & self.stop_on)

    def update(self, step: float, *, epoch: float | None = None, **metrics: Any) -> list[detectors.Finding]:
        """New findings after this step. Metrics: loss, val_loss, accuracy, val_accuracy, grad_norm,
        learning_rate (or lr), gpu_util; floats, or anything float() takes (a 0-d tensor)."""
        record: dict[str, float] = {"step": float(step)}
        if epoch is not None:
            record["epoch"] = float(epoch)
        for name, value in metrics.items():
            if value is None:
                continue
            record[canonical_metric(name)] = float(value)
        found = self._analyzer.update(record)
        return self._with_advice(found) if found else found

    def update_from(self, step: float, logs: Mapping[str, Any], *, epoch: float | None = None
                    ) -> list[detectors.Finding]:
        """Like `update`, from a framework's dict of logged values: names are mapped as in log files
        (`train_loss`, `eval_loss`, `lr-Adam`, ...), names of no known metric and non-numbers are skipped."""
        metrics: dict[str, float] = {}
        for name, value in logs.items():
            found = columns.classify(name)
            if found is None or found[0] not in columns.METRICS or found[0] in metrics:
                continue
            try:
                metrics[found[0]] = float(value)
            except (TypeError, ValueError):
                continue
        return self.update(step, epoch=epoch, **metrics) if metrics else []

    def close(self) -> list[detectors.Finding]:
        """Findings only the whole run can show (underfitting, GPU utilisation percentiles)."""
        if self._closed:
            return []
        self._closed = True
        return self._with_advice(self._analyzer.finish())

    def _with_advice(self, found: list[detectors.Finding]) -> list[detectors.Finding]:
        if not self._advise:
            return found
        from .api import diagnose

        for finding in found:
            given = self._given()
            symptoms = sorted(set(given.get("symptoms", ())) | {finding.symptom})
            report = diagnose({**given, "symptoms": symptoms}, rules=self._rules, top=self._top)
            finding.advice = list(report.advice)
        return found

    def _given(self) -> dict[str, Any]:
        setup = self._setup
        if setup is None:
            return {}
        if hasattr(setup, "given"):
            return setup.given()
        if isinstance(setup, Mapping):
            return dict(setup)
        from .errors import InputError
        raise InputError("setup", f"expected a Setup or a mapping of setup keys, got {type(setup).__name__}")
