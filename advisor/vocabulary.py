"""The words several stages share, each defined once.

- severities: here (the rule format, the ranking, `--fail-on`, the report model and
  every renderer read them from this tuple);
- symptom ids and frameworks: `advisor.setup.fields.SYMPTOMS` and `FRAMEWORKS`, the
  field table the setup parsers, the rule loader and the detectors all read;
- the rule format's limits: the limits block of `advisor.rulebook.loader`, which the
  rule schema (`advisor.render.schema`) reads.
"""

from __future__ import annotations

SEVERITIES = ("high", "medium", "low")  # most severe first: the order ranking and --fail-on use

# a severity's place in SEVERITIES: 0 is the most severe
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def at_or_above(severity: str, threshold: str) -> bool:
    """Whether `severity` is `threshold` or more severe (`--fail-on medium` counts high and medium)."""
    return SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold]
