"""low-gpu-utilization: the GPU waits on something (input pipeline, host, synchronisation).

p95 of gpu_util < 70%, or p95 >= 70% with p5 < 10% (SageMaker
LowGPUUtilization), over >= 20 samples, the first 5 (start-up) left out.
Values <= 1 are fractions. Percentiles come from a 0.1%-wide histogram, so a
run of any length costs 1001 counters.
"""

from __future__ import annotations

import math

from advisor.detect.base import Detector


class LowGpuUtilizationThresholds:
    gpu_p95: float = 70.0  # % (SageMaker LowGPUUtilization)
    gpu_p5: float = 10.0  # %: with a high p95, utilisation that fluctuates (SageMaker LowGPUUtilization)
    gpu_min_samples: int = 20  # samples judged, after the start-up ones
    gpu_skip: int = 5  # start-up samples left out


class LowGpuUtilization(Detector):
    symptom, needs = "low-gpu-utilization", frozenset(("gpu_util",))
    thresholds = LowGpuUtilizationThresholds

    def __init__(self, t):
        super().__init__(t)
        self.skipped: int = 0
        self.pending: list[float] = []
        self.scale: float | None = None
        self.bins = [0] * 1001
        self.count = 0
        self.since = (0.0, None)

    def _add(self, value: float) -> None:
        pct = min(max(value * self.scale, 0.0), 100.0)
        self.bins[int(pct * 10 + 0.5)] += 1
        self.count += 1

    def _percentile(self, q: float) -> float:
        target, seen = q * self.count, 0
        for index, n in enumerate(self.bins):
            seen += n
            if seen >= target:
                return index / 10
        return 100.0

    def update(self, s, rec):
        value = rec["gpu_util"]
        if not math.isfinite(value):
            return None
        if self.skipped < self.t.gpu_skip:
            self.skipped += 1
            self.since = s.at
            return None
        if self.scale is None:
            self.pending.append(value)
            if value > 1.0:
                self.scale = 1.0
            elif len(self.pending) < self.t.gpu_min_samples:
                return None
            else:
                self.scale = 100.0
            for v in self.pending:
                self._add(v)
            self.pending = []
        else:
            self._add(value)
        # percentiles cost a pass over the 1001 bins: judged every 500 samples while running
        if self.count >= self.t.gpu_min_samples and self.count % 500 == 0:
            return self._judge()
        return None

    def finish(self, s):
        if self.scale is None and self.pending:
            self.scale = 1.0 if max(self.pending) > 1.0 else 100.0
            for v in self.pending:
                self._add(v)
        return self._judge() if self.count >= self.t.gpu_min_samples else None

    def _judge(self):
        p95, p5 = self._percentile(0.95), self._percentile(0.05)
        if p95 < self.t.gpu_p95:
            return self.found(self.since, f"GPU utilisation p95 was {p95:.0f}% (< {self.t.gpu_p95:.0f}%) over "
                                          f"{self.count} samples: the GPU waits on something")
        if p5 < self.t.gpu_p5:
            return self.found(self.since, f"GPU utilisation fluctuates: p95 {p95:.0f}% but p5 {p5:.0f}% "
                                          f"(< {self.t.gpu_p5:.0f}%) over {self.count} samples")
        return None
