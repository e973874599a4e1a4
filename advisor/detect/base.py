"""What a detector declares, and the interface the Analyzer drives it through.

Each detector module declares, beside its code: the symptom id it finds, its
severity, the metrics it `needs` (records without any of them are not passed
to it), the symptoms it `explains` (once it fires they are consequences, not
problems of their own: their detectors stop, and a finding of theirs on the same
record is dropped), and its `thresholds`: a plain class whose annotated
attributes are its thresholds with their defaults, each commented with its source. `advisor.detect.catalog` derives every symptom set and the
public `Thresholds` from these declarations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from advisor.detect.finding import Finding, Position, Record

if TYPE_CHECKING:
    from advisor.detect.state import RunState


class Detector:
    """Base: `update` sees every record with a metric it `needs`; `finish` runs once at the end."""

    symptom: ClassVar[str]
    severity: ClassVar[str] = "medium"
    needs: ClassVar[frozenset[str]] = frozenset()
    explains: ClassVar[frozenset[str]] = frozenset()
    thresholds: ClassVar[type]

    def __init__(self, t: Any) -> None:  # advisor.detect.Thresholds, composed from every group
        self.t = t

    def update(self, s: "RunState", rec: Record) -> Finding | None:
        return None

    def finish(self, s: "RunState") -> Finding | None:
        return None

    def found(self, at: Position, evidence: str) -> Finding:
        return Finding(self.symptom, at[0], evidence, self.severity, at[1])
