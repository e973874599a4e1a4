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
the pipeline `advisor.diagnose` uses, with the symptom added to the setup.

Nothing a training run logs makes the monitor raise: None is skipped, a NaN or
infinite loss is a finding, and a failure while looking up advice is a warning
(the finding comes without advice). Bad arguments raise pydantic's
ValidationError at the call that passes them: a bad setup or `stop_on` at
construction, a non-finite step or a metric that is not a number at `update`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Mapping, NoReturn

from advisor import detect
from advisor.setup import fields, units
from advisor.errors import InputError
from advisor.logs import columns
from advisor.logs.columns import canonical_metric

__all__ = ["Monitor"]


class Monitor:
    """Incremental symptom detection with ranked advice for each new finding.

    setup:   what is known about the run (a `Setup`, a dict, or None); it sharpens the advice.
    stop_on: symptoms that make `should_stop` true (default: nan-loss, diverging-loss,
             exploding-gradients); one symptom id or several. Pass () to never ask for a stop.
    advise:  False skips the advice lookup (findings only; no pydantic import).
    top:     advice items kept per finding (None: all).
    rules:   extra rule files or folders for the advice, loaded (and checked) here.
    """

    def __init__(self, setup: Any = None, *, stop_on: str | Iterable[str] = detect.SEVERE, advise: bool = True,
                 top: int | None = 3, rules: str | Iterable[str] = (), thresholds: detect.Thresholds | None = None
                 ) -> None:
        self._setup = _normalized_setup(setup)
        self.stop_on = _stop_on(stop_on)
        if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
            _reject("Monitor", InputError("top", f"{units.shown(top)} is not a number of advice items; use 1 or "
                                                 f"more, or None"), top)
        if thresholds is not None and not isinstance(thresholds, detect.Thresholds):
            _reject("Monitor", InputError("thresholds", "expected advisor.detect.Thresholds or None"), thresholds)
        self._advise, self._top = advise, top
        self._rules = (rules,) if isinstance(rules, str) or hasattr(rules, "__fspath__") else tuple(rules)
        if advise:
            from advisor import pipeline
            pipeline.rulebook_for(self._rules)  # a bad rule file is a RuleError now, not at the first finding
        self._analyzer = detect.Analyzer(thresholds)
        self._closed = False

    @property
    def findings(self) -> list[detect.Finding]:
        """Every finding so far, in the order found."""
        return list(self._analyzer.findings)

    @property
    def should_stop(self) -> bool:
        """A finding in `stop_on` has been made: further steps waste compute."""
        return bool(self._analyzer.fired & self.stop_on)

    def update(self, step: float, *, epoch: float | None = None, **metrics: Any) -> list[detect.Finding]:
        """New findings after this step. Metrics: loss, val_loss, accuracy, val_accuracy, grad_norm,
        learning_rate (or lr), gpu_util; floats, or anything float() takes (a 0-d tensor); None is skipped.
        `layer_grad_norm={"fc1.weight": 1e-6, ..., "head.weight": 0.3}`: per-layer norms, first layer first
        (vanishing gradients are then judged by the first layer against the last)."""
        record: dict[str, Any] = _position(step, epoch)
        for name, value in metrics.items():
            if value is None:
                continue
            if name == columns.LAYER_GRAD_NORM:
                record[name] = _layer_norms(value)
                continue
            try:
                metric = canonical_metric(name)
            except InputError as exc:
                _reject("Monitor.update", exc, value)
            record[metric] = _number(name, value, finite=False)
        return self._with_advice(self._analyzer.update(record))

    def update_from(self, step: float, logs: Mapping[str, Any], *, epoch: float | None = None
                    ) -> list[detect.Finding]:
        """Like `update`, from a framework's dict of logged values: names are mapped as in log files
        (`train_loss`, `eval_loss`, `lr-Adam`, `grad_2.0_norm/<param>`, ...), names of no known metric and
        non-numbers are skipped."""
        record = _position(step, epoch)
        if not isinstance(logs, Mapping):
            _reject("Monitor.update_from", InputError("logs", f"expected a mapping of logged values, not "
                                                              f"{type(logs).__name__}"), logs)
        metrics: dict[str, Any] = {}
        layers: dict[str, float] = {}
        for name, value in logs.items():
            number = _float_or_none(value)
            parameter = columns.layer(str(name))
            if number is None:
                continue
            if parameter is not None:  # `grad_2.0_norm/fc1.weight`: Lightning's grad_norm(), in logging order
                layers.setdefault(parameter, number)
                continue
            found = columns.classify(str(name))
            if found is not None and found[0] in columns.METRICS and found[0] not in metrics:
                metrics[found[0]] = number
        if layers:
            metrics[columns.LAYER_GRAD_NORM] = layers
        return self._with_advice(self._analyzer.update({**record, **metrics})) if metrics else []

    def close(self) -> list[detect.Finding]:
        """Findings only the whole run can show (underfitting, GPU utilisation percentiles)."""
        if self._closed:
            return []
        self._closed = True
        return self._with_advice(self._analyzer.finish())

    def _with_advice(self, found: list[detect.Finding]) -> list[detect.Finding]:
        if not (found and self._advise):
            return found
        for finding in found:
            try:
                finding.advice = self._advice_for(finding.symptom)
            except Exception as exc:  # noqa: BLE001  the training loop goes on; the finding still names the symptom
                warnings.warn(f"advisor.Monitor: no advice for the {finding.symptom} finding ({type(exc).__name__}: "
                              f"{exc}); it is reported without advice and training goes on",
                              RuntimeWarning, stacklevel=3)  # the caller of update or close
        return found

    def _advice_for(self, symptom: str) -> list[Any]:
        """The advice `diagnose` gives for this setup with `symptom` added: the same pipeline, no Setup model."""
        from advisor import pipeline
        from advisor.models import Advice

        symptoms = sorted({*self._setup.get("symptoms", ()), symptom})
        report = pipeline.advise({**self._setup, "symptoms": symptoms}, rules=self._rules, top=self._top).report
        return [Advice.model_validate(item) for item in report["advice"]]


def _reject(title: str, error: InputError, value: Any) -> NoReturn:
    """Raise bad input as the library does: pydantic's ValidationError, naming the argument."""
    from advisor.models import validation_error

    raise validation_error(title, error, value) from None


def _normalized_setup(setup: Any) -> dict[str, Any]:
    if setup is None:
        return {}
    if isinstance(setup, Mapping):
        raw = dict(setup)
    elif callable(getattr(setup, "given", None)):  # a Setup, without importing pydantic to check
        raw = setup.given()
    else:
        _reject("Monitor", InputError("setup", f"expected a Setup or a mapping of setup keys, not "
                                               f"{type(setup).__name__}"), setup)
    try:
        return fields.normalize_setup(raw)
    except InputError as exc:
        _reject("Monitor", exc, raw.get(exc.field))


def _stop_on(stop_on: Any) -> frozenset[str]:
    """One symptom id, or an iterable of them; each one the detectors find."""
    try:
        chosen = frozenset((stop_on,) if isinstance(stop_on, str) else stop_on)
        unknown = sorted(units.shown(s) for s in chosen if s not in detect.SYMPTOMS)
    except TypeError:  # not iterable, or items that cannot be symptom ids
        chosen, unknown = frozenset(), [units.shown(stop_on)]
    if unknown:
        _reject("Monitor", InputError("stop_on", f"{', '.join(unknown)}: not a symptom the monitor detects; use "
                                                 f"one or more of {', '.join(detect.SYMPTOMS)}"), stop_on)
    return chosen


def _position(step: Any, epoch: Any) -> dict[str, float]:
    record = {"step": _number("step", step, finite=True)}
    if epoch is not None:
        record["epoch"] = _number("epoch", epoch, finite=True)
    return record


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError, RuntimeError):  # RuntimeError: a tensor of several values
        return None


def _layer_norms(value: Any) -> dict[str, float]:
    """`layer_grad_norm`: a mapping of parameter name -> gradient norm, first layer first."""
    if not isinstance(value, Mapping) or not value:
        _reject("Monitor.update", InputError(columns.LAYER_GRAD_NORM, "expected a non-empty mapping of parameter "
                                                                      "name -> gradient norm, first layer first"), value)
    return {str(name): _number(f"{columns.LAYER_GRAD_NORM}[{name!r}]", norm, finite=False)
            for name, norm in value.items()}


def _number(name: str, value: Any, *, finite: bool) -> float:
    """`value` as a float; a step or epoch must be finite, a metric may be NaN or infinite (that is a finding)."""
    number = None if isinstance(value, (str, bytes, bool)) else _float_or_none(value)
    if number is None or (finite and not math.isfinite(number)):
        kind = "a finite number" if finite else "a number (a float, an int or a 0-d tensor; None skips it)"
        _reject("Monitor.update", InputError(name, f"{units.shown(value)} is not {kind}"), value)
    return number
