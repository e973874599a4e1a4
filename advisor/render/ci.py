"""Findings for CI tools: where each advice item points, then SARIF or GitHub annotations.

An item points at the setup file, on the line of the first setup key behind
the facts that triggered it (class_ratio for an imbalance rule), so a pull
request shows the finding next to the value that caused it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Location:
    uri: str
    lines: dict[str, int]

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


def setup_location(setup_file: Path | None) -> Location | None:
    """The setup file given or discovered, as a path relative to the working directory."""
    from advisor.setup import setupfile

    path = setup_file or setupfile.discover(Path.cwd())
    if path is None:
        return None
    try:
        uri = path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        uri = path.resolve().as_uri()
    return Location(uri, setupfile.key_lines(path))


def render(kind: str, report: dict[str, Any], book, setup_file: Path | None) -> str:
    location = setup_location(setup_file)
    if kind == "sarif":
        from advisor.render import sarif
        return sarif.render(report, book, location) + "\n"
    from advisor.render import github
    return github.render(report, location, summary_path=os.environ.get("GITHUB_STEP_SUMMARY") or None)
