"""minority-class-ignored: the model predicts the class prior, so its accuracy is the majority's share.

Accuracy within 0.005 for 5 evaluations in a row, between 0.9 and 0.995, with
the loss within 25% of the entropy of a (1 - accuracy) minority; unless the
training accuracy, averaged over the same evaluations, beats that share by half
the minority: a model that classifies most of the minority right on its
training data does not ignore it (a balanced task with label noise plateaus at
the same validation numbers); and a training accuracy is not judged where the
validation accuracy differs from it by as much (the prior scores the same on
held-out data; a model fitted to 99% of its training data and 93% of held-out
data predicts more than the prior). Training accuracy logged per batch is judged
per epoch (its mean over each epoch): 5 batches of 32 at 30/32 are chance.
"""

from __future__ import annotations

import math
from collections import deque

from advisor.detect.base import Detector
from advisor.detect.finding import Position


class MinorityClassIgnoredThresholds:
    SHARES = ("minority_accuracy", "minority_flat", "minority_entropy_band", "minority_learned")  # fractions: at most 1 (catalog.compose checks)
    minority_accuracy: tuple[float, float] = (0.9, 0.995)  # the majority shares judged
    minority_flat: float = 0.005  # accuracy range over the evaluations
    minority_points: int = 5  # evaluations in a row
    minority_entropy_band: float = 0.25  # loss within this share of the prior's entropy
    minority_learned: float = 0.5  # training accuracy above the majority share by this share of the minority


def _entropy(p: float) -> float:
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


class MinorityClassIgnored(Detector):
    symptom, needs = "minority-class-ignored", frozenset(("accuracy", "val_accuracy"))
    explains = frozenset({"underfitting"})  # a loss stuck at the prior's entropy falls little
    thresholds = MinorityClassIgnoredThresholds

    def __init__(self, t):
        super().__init__(t)
        self.recent = {k: deque(maxlen=t.minority_points) for k in ("accuracy", "val_accuracy")}
        # training accuracy (per batch, noisy) summed between validations, for the evaluations in `recent`
        self.train_sum, self.train_n = 0.0, 0
        self.train_windows: deque[tuple[float, int]] = deque(maxlen=t.minority_points)
        # per-batch training accuracy, averaged per epoch: a batch of 32 repeats 30/32 by chance, an epoch does not
        self.epoch_sum, self.epoch_n, self.epoch_key, self.epoch_at = 0.0, 0, None, (0.0, None)

    def update(self, s, rec):
        t = self.t
        train = rec.get("accuracy")
        if train is not None and math.isfinite(train):
            self.train_sum += train
            self.train_n += 1
        val = rec.get("val_accuracy")
        if val is not None and math.isfinite(val):
            self.train_windows.append((self.train_sum, self.train_n))
            self.train_sum, self.train_n = 0.0, 0
        for name, loss_name in (("val_accuracy", "val_loss"), ("accuracy", "loss")):
            value, at = rec.get(name), s.at
            if value is None or not math.isfinite(value):
                continue
            if name == "accuracy" and not s.epoch_axis:
                value, at = self._epoch_mean(s, value)
                if value is None:
                    continue
            recent = self.recent[name]
            recent.append((value, at))
            loss = s.last_finite.get(loss_name)
            if len(recent) < t.minority_points or loss is None:
                continue
            values = [v for v, _ in recent]
            acc = sum(values) / len(values)
            if max(values) - min(values) > t.minority_flat or not t.minority_accuracy[0] <= acc <= t.minority_accuracy[1]:
                continue
            if name == "val_accuracy" and self._train_accuracy() > acc + t.minority_learned * (1 - acc):
                continue  # it fits the minority of its training data: label noise or a hard split, not the prior
            if name == "accuracy" and abs(self._val_accuracy(acc) - acc) > t.minority_learned * (1 - acc):
                continue  # the prior scores the same on held-out data: a training accuracy far from it is fitted
            prior = _entropy(1 - acc)
            if abs(loss[0] - prior) <= t.minority_entropy_band * prior:
                start = recent[0][1]
                return self.found(start,
                                  f"{name} stayed at {acc:.3f} for {len(recent)} evaluations ({s.span(start, s.at)}), "
                                  f"the majority's share if every prediction is the majority class, and {loss_name} "
                                  f"{loss[0]:.4g} is the entropy {prior:.4g} of a {(1 - acc) * 100:.1f}% minority: "
                                  f"the model predicts the class prior")
        return None

    def _epoch_mean(self, s, value: float) -> tuple[float | None, Position]:
        """The mean training accuracy of the epoch that ended before this value (None within an epoch, and
        always where the log has no epochs: per-batch values alone are never judged)."""
        epoch = s.at[1]
        if epoch is None:
            return None, s.at
        key = math.floor(epoch)
        done = None
        if self.epoch_key is not None and key != self.epoch_key and self.epoch_n:
            done = (self.epoch_sum / self.epoch_n, self.epoch_at)
            self.epoch_sum, self.epoch_n = 0.0, 0
        if self.epoch_n == 0:
            self.epoch_key, self.epoch_at = key, s.at
        self.epoch_sum += value
        self.epoch_n += 1
        return done if done else (None, s.at)

    def _val_accuracy(self, default: float) -> float:
        """Mean of the validation accuracies judged so far; `default` where none was logged."""
        values = [v for v, _ in self.recent["val_accuracy"]]
        return sum(values) / len(values) if values else default

    def _train_accuracy(self) -> float:
        """Mean training accuracy over the evaluations judged; -inf where none was logged."""
        n = sum(count for _, count in self.train_windows)
        return sum(total for total, _ in self.train_windows) / n if n else -math.inf
