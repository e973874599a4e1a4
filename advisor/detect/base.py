"""What a detector declares, and the interface the Analyzer drives it through.

Each detector module declares, beside its code: the symptom id it finds, its
severity, the metrics it `needs` (records without any of them are not passed
to it), the symptoms it `explains` (once it fires they are consequences, not
problems of their own: a later finding of theirs is not reported but named in
the explaining finding's evidence; a finding may narrow this set), and its `thresholds`: a plain class whose annotated
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

    def outlived(self, s: "RunState", finding: Finding) -> str | None:
        """At the end of the run: why the run has since left the state `finding` describes (the Analyzer then
        drops it and keeps this sentence), or None while it still holds. Only a finding that explains nothing
        can be outlived."""
        return None

    def found(self, at: Position, evidence: str, explains: frozenset[str] | None = None) -> Finding:
        """The finding; `explains` narrows what this one accounts for (default: all the detector declares)."""
        return Finding(self.symptom, at[0], evidence, self.severity, at[1],
                       explains=self.explains if explains is None else explains)
