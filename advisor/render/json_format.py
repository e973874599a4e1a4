"""The JSON output contract: one object with setup, facts and ranked advice."""

import json


def render(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)
