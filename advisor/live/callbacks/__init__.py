"""Training-framework callbacks that run `advisor.Monitor` (optional extras, imported only when used).

    from advisor.live.callbacks.huggingface import AdvisorCallback   # transformers.Trainer
    from advisor.live.callbacks.lightning import AdvisorCallback     # lightning.Trainer
    from advisor.live.callbacks.keras import AdvisorCallback         # keras Model.fit

Each reports new findings (with the top advice) as they appear, through
`on_finding` (default: print to stderr), and stops training on a finding in
`stop_on` (default: nan-loss, diverging-loss, exploding-gradients) unless
`stop=False`.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable

from advisor import detect


def print_finding(finding: detect.Finding) -> None:
    advice = f" -> {finding.advice[0].title}" if finding.advice else ""
    print(f"advisor: {finding}{advice}", file=sys.stderr)


class MonitorMixin:
    """Shared by the three callbacks: owns the Monitor and the stop decision."""

    def _init_monitor(self, setup: Any, stop: bool, stop_on: Iterable[str],
                      on_finding: Callable[[detect.Finding], None] | None, advise: bool) -> None:
        from advisor.live.monitor import Monitor

        self.monitor = Monitor(setup, stop_on=stop_on, advise=advise)
        self.stop = stop
        self.on_finding = on_finding or print_finding

    def _report(self, findings: list[detect.Finding]) -> bool:
        """Report new findings; True when training should stop now."""
        for finding in findings:
            self.on_finding(finding)
        return self.stop and self.monitor.should_stop
