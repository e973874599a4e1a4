"""Findings for CI tools: where each advice item points, then SARIF or GitHub annotations.

An item points at the setup file, on the line of the first setup key behind
the facts that triggered it (class_ratio for an imbalance rule), so a pull
request shows the finding next to the value that caused it. The command
reads the setup file's key lines (`setupfile.key_lines`) and hands them over:
rendering reads no file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Location:
    uri: str               # the setup file as the CI tool names it: relative to the working directory
    lines: dict[str, int]  # line of each setup key in it

    def line_for(self, item: dict[str, Any]) -> int:
        from advisor.facts.derive import SPECS

        for reason in item["why"]:
            for name in reason["facts"]:
                spec = SPECS.get(name)
                keys = [name] if name in self.lines else sorted(spec.requires) if spec else []
                for key in keys:
                    if key in self.lines:
                        return self.lines[key]
        return 1


def render(kind: str, report: dict[str, Any], book, location: Location | None, *, summarized: bool = False) -> str:
    """SARIF, or GitHub annotations (`summarized`: the job summary lists what is not annotated)."""
    if kind == "sarif":
        from advisor.render import sarif
        return sarif.render(report, book, location) + "\n"
    from advisor.render import github
    return github.render(report, location, summarized=summarized)
