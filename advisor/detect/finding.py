"""A finding (one detected symptom) and how positions and numbers are shown in its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# (step, epoch) of a logged point; epoch is None where the log has none
Position = tuple[float, float | None]
Record = dict[str, float]


@dataclass
class Finding:
    """One detected symptom: where it began and the numbers that show it."""

    symptom: str
    step: float
    evidence: str
    severity: str = "medium"
    epoch: float | None = None
    advice: list[Any] = field(default_factory=list)
    # the symptoms this finding accounts for (its detector's `explains`, or fewer): their findings are
    # consequences, named in this evidence instead of reported on their own
    explains: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def severe(self) -> bool:
        return self.severity == "high"

    def as_dict(self) -> dict[str, Any]:
        return {"symptom": self.symptom, "step": number(self.step), "evidence": self.evidence}

    def __str__(self) -> str:
        return f"{self.symptom} from step {shown(self.step)}: {self.evidence}"


def number(value: float) -> int | float:
    """A step as JSON shows it: whole numbers as int."""
    return int(value) if float(value).is_integer() else round(value, 4)


def shown(value: float) -> str:
    """A step or epoch as evidence shows it."""
    return f"{value:.4g}" if not float(value).is_integer() else str(int(value))


def percent(ratio: float) -> str:
    return f"{abs(ratio) * 100:.0f}%"
