"""The Analyzer: feeds each record to the detectors that still have something to find.

It keeps the shared RunState (updated before the detectors see a record and
passed to each of them), drops a detector once its symptom is found, and
collects the findings. Each symptom is found at most once. A finding that
another one explains (a plateau after the loss diverged) is a consequence, not a
problem of its own: it is not reported, and the explaining finding's evidence
names it, so what was seen is never silently lost. At the end of the run, a
finding the run has since left (a plateau the loss later fell far below) is
dropped and said in `outlived`.
"""

from __future__ import annotations

from typing import Iterable

from advisor.detect.base import Detector
from advisor.detect.catalog import DETECTORS, Thresholds
from advisor.detect.finding import Finding, Record
from advisor.detect.state import RunState


class Analyzer:
    """Feeds records to every detector that has not fired yet; owns the state they share."""

    def __init__(self, thresholds: Thresholds | None = None, *, only: Iterable[str] | None = None) -> None:
        self.t = thresholds or Thresholds()
        wanted = set(only) if only is not None else None
        self.detectors = [d(self.t) for d in DETECTORS if wanted is None or d.symptom in wanted]
        self.state = RunState(self.t)
        self.findings: list[Finding] = []
        self.fired: set[str] = set()  # the symptoms found (and reported) so far
        self._explained_by: dict[str, Finding] = {}  # symptom -> the reported finding that accounts for it
        self._finder: dict[str, Detector] = {}  # symptom -> the detector that found it
        self.outlived: list[str] = []  # findings the run later left, each as the sentence saying so
        self._dispatch: dict[frozenset[str], list[Detector]] = {}

    def update(self, rec: Record) -> list[Finding]:
        """New findings for one record (`step` required, every metric optional)."""
        self.state.observe(rec)
        keys = frozenset(rec)
        interested = self._dispatch.get(keys)
        if interested is None:  # records of one log mostly share their keys: one lookup per record
            interested = self._dispatch[keys] = [d for d in self.detectors if not d.needs.isdisjoint(keys)]
        new = [finding for detector in interested if (finding := detector.update(self.state, rec))]
        self.state.remember(rec)
        return self._record(new)

    def finish(self) -> list[Finding]:
        """Findings that can only be judged on the whole run (underfitting, GPU percentiles), once the findings
        the run later left (a plateau it overcame) are dropped, each kept in `outlived` as a sentence."""
        for finding in list(self.findings):
            why = None if finding.explains else self._finder[finding.symptom].outlived(self.state, finding)
            if why:
                self.findings.remove(finding)
                del self.state.found[finding.symptom]
                self.outlived.append(why)
        return self._record([f for d in self.detectors if (f := d.finish(self.state))])

    def _record(self, new: list[Finding]) -> list[Finding]:
        if not new:
            return new
        reported = []
        for finding in new:  # in DETECTORS order: a finding of this record may explain a later one of it
            cause = self._explained_by.get(finding.symptom)
            if cause is not None:
                where = self.state.where((finding.step, finding.epoch))
                cause.evidence += f"; it explains the {finding.symptom} seen from {where}, not reported on its own"
                continue
            reported.append(finding)
            self.state.found[finding.symptom] = finding
            for symptom in finding.explains:  # only a reported finding explains anything
                self._explained_by.setdefault(symptom, finding)
        found = {f.symptom for f in new}
        self._finder.update((d.symptom, d) for d in self.detectors if d.symptom in found)
        self.detectors = [d for d in self.detectors if d.symptom not in found]
        self._dispatch.clear()
        self.fired |= {f.symptom for f in reported}
        self.findings.extend(reported)
        return reported

def run(records: Iterable[Record], *, only: Iterable[str] | None = None,
        thresholds: Thresholds | None = None) -> list[Finding]:
    """Every finding on a whole series of records."""
    analyzer = Analyzer(thresholds, only=only)
    for rec in records:
        analyzer.update(rec)
    analyzer.finish()
    return analyzer.findings
