"""underfitting: at the end of the run, the loss fell little and the model does not fit even its training data.

At the end of the run: loss fell < 25% from the start, the training loss is no
better than validation ((val - train) / train < 0.1, `overfit_gap`) or the best
accuracy is < 0.6 (AutoTrainer's slow convergence), and no plateau, divergence,
vanishing gradients or ignored minority class explains it (those detectors
declare that they explain it).
"""

from __future__ import annotations


from advisor.detect.base import Detector
from advisor.detect.finding import percent


class UnderfittingThresholds:
    underfit_progress: float = 0.25  # fall of the smoothed loss from its start
    underfit_accuracy: float = 0.6  # best accuracy below it: slow convergence (AutoTrainer)
    underfit_min_points: int = 10  # logged loss values before the run can be judged


class Underfitting(Detector):
    symptom, needs = "underfitting", frozenset(())  # judged once, on the whole run
    thresholds = UnderfittingThresholds

    def finish(self, s):
        c, t = s.loss, self.t
        if c.value is None or c.n < t.underfit_min_points or c.first <= 0:
            return None
        fallen = 1 - c.value / c.first
        if fallen >= t.underfit_progress:
            return None
        val = s.last_finite.get("val_loss")
        acc = s.best_accuracy
        no_gap = val is not None and (val[0] - c.value) / c.value < t.overfit_gap
        low_acc = acc is not None and acc < t.underfit_accuracy
        if not (no_gap or low_acc):
            return None
        parts = [f"loss fell only {percent(fallen)} ({c.first:.4g} -> {c.value:.4g}) over {c.n} logged points"]
        if no_gap:
            parts.append(f"val_loss {val[0]:.4g} is no higher than it: the model does not even fit the training data")
        if low_acc:
            parts.append(f"best accuracy {acc:.3f} < {t.underfit_accuracy}")
        return self.found(c.last_at, "; ".join(parts))
