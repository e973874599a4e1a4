"""underfitting: at the end of the run, the loss fell little and the model does not fit even its training data.

At the end of the run: the loss fell < 25% from the start (its level a tenth of
the way in, RunState.loss_reference, so an early drop to a trivial level is no
progress), and the accuracy at the end (the last validation accuracy or the
mean of the last 20 training accuracies, the higher) is < 0.6 (AutoTrainer's
slow convergence) or,
where no accuracy is logged, the training loss is no better than validation
((val - train) / train < 0.1, `overfit_gap`), over 10 logged points (5 points and 2 epochs where the log has
epochs). A plateau at that level is the same failure seen earlier: both are
reported, and this evidence names it. Divergence, NaN, vanishing gradients and
an ignored minority explain it (their detectors declare so).
"""

from __future__ import annotations


from advisor.detect.base import Detector
from advisor.detect.finding import percent


class UnderfittingThresholds:
    SHARES = ("underfit_progress", "underfit_accuracy")  # fractions: at most 1 (catalog.compose checks)
    underfit_progress: float = 0.25  # fall of the smoothed loss from its start
    underfit_accuracy: float = 0.6  # accuracy at the end below it: slow convergence (AutoTrainer)
    underfit_min_points: int = 10  # logged loss values before the run can be judged (where it has no epochs)
    underfit_epochs: float = 2.0  # epochs before the run can be judged, where it has epochs


class Underfitting(Detector):
    symptom, needs = "underfitting", frozenset(())  # judged once, on the whole run
    thresholds = UnderfittingThresholds

    def finish(self, s):
        c, t = s.loss, self.t
        if c.value is None or c.value <= 0 or c.first <= 0 or not s.long_enough(s.first_at, c.n, t.underfit_min_points,
                                                                  t.underfit_epochs):
            return None
        ref = s.loss_reference()
        fallen = 1 - c.value / ref if ref and ref > 0 else 0.0
        if fallen >= t.underfit_progress:
            return None
        val = s.last_finite.get("val_loss")
        acc = s.accuracy_now()
        no_gap = val is not None and (val[0] - c.value) / c.value < t.overfit_gap
        low_acc = acc is not None and acc < t.underfit_accuracy
        # where an accuracy is logged it decides: noisy labels hold a healthy model's loss far above 0 and its
        # training loss level with validation, at an accuracy well above chance (binary labels 30% flipped:
        # loss 0.61, 0.69 at the start, accuracy 0.70)
        if not (low_acc if acc is not None else no_gap):
            return None
        parts = [f"loss fell only {percent(max(fallen, 0.0))} ({ref:.4g} early in the run -> {c.value:.4g}) over "
                 f"{c.n} logged points"]
        if no_gap:
            parts.append(f"val_loss {val[0]:.4g} is no higher than it: the model does not even fit the training data")
        if low_acc:
            parts.append(f"accuracy {acc:.3f} at the end < {t.underfit_accuracy}")
        plateau = s.found.get("loss-plateau")
        if plateau is not None:
            parts.append(f"the loss-plateau from {s.where((plateau.step, plateau.epoch))} is this failure seen as "
                         f"it happened")
        return self.found(c.last_at, "; ".join(parts))
